"""Review and publish: match → review → rematch with decisions → report → publish → next cohort's history."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from matcher.app.cli import main
from matcher.app.store import Store

PROGRAMME = "HK AI Lab Accelerator"


def pairs_of(folder) -> set[tuple[str, str]]:
    table = pd.read_csv(folder / "assignments.csv")
    return set(zip(table["startup_id"], table["mentor_id"]))


@pytest.fixture()
def matched(tmp_path, capsys):
    """A spring result folder whose cohort folder has been moved away since the match."""
    data = tmp_path / "data"
    shutil.copytree("data/spring-2026", data)
    assert main(["match", str(data), "--out", str(tmp_path / "r1")]) == 0
    data.rename(tmp_path / "moved")  # the result must not need it any more
    capsys.readouterr()
    return tmp_path / "r1"


def test_match_review_rematch_publish_and_the_next_cohort_sees_it(matched, tmp_path, capsys):
    before = pairs_of(matched)
    assert main(["review", str(matched)]) == 0
    decisions = pd.read_csv(matched / "decisions.csv", keep_default_na=False)
    assert len(decisions) == len(before) and set(decisions["decision"]) == {"keep"}
    # drop FaceTrust's best mentor, pin a new pair, keep the rest (a note travels along)
    dropped = ("s-facetrust", "m-kwok-hoi-lam")
    pinned = ("s-kindbot", "m-li-jing")
    assert dropped in before and pinned not in before
    row = (decisions["startup_id"] == dropped[0]) & (decisions["mentor_id"] == dropped[1])
    decisions.loc[row, ["decision", "note"]] = ["drop", "the founders asked for someone else"]
    decisions = pd.concat([decisions, pd.DataFrame([{"startup_id": pinned[0], "mentor_id": pinned[1],
                                                     "decision": "PIN", "note": "asked by the mentor"}])])
    decisions.to_csv(matched / "decisions.csv", index=False)

    out = tmp_path / "r2"
    reviewed = str(matched / "decisions.csv")
    assert main(["rematch", str(matched), "--decisions", reviewed, "--out", str(out)]) == 0
    after = pairs_of(out)
    assert pinned in after and dropped not in after
    # the fewest changes: FaceTrust gets one new mentor, KindBot's pin displaces one, and the mentor
    # pinned was full, so one more startup moves: three pairs out, three in, every other pair kept
    assert len(before - after) == len(after - before) == 3
    assert len(after) == len(before)

    # a rematched result reports like any other, from its own folder
    assert main(["report", str(out), "--runner-ups", "1"]) == 0
    printed = capsys.readouterr().out.replace("\n", "")
    assert f"startup cards (one A4 page each): {out / 'startup-cards.html'}" in printed
    cards = (out / "startup-cards.html").read_text(encoding="utf-8")
    assert cards.count('<article class="card"') == 9
    # the dropped mentor is no longer FaceTrust's, and its card says why
    facetrust = cards.split('id="s-facetrust"')[1].split("</article>")[0]
    assert "<strong>Kwok Hoi-lam</strong>" not in facetrust
    assert ("Kwok Hoi-lam is excluded by the programme, so that mentor was not open to FaceTrust Labs."
            in facetrust)

    # publish with the programme's own startup letter; the mentor letter stays the default
    templates = tmp_path / "letters"
    templates.mkdir()
    (templates / "startup.txt.j2").write_text(
        "Hello {{ startup.name }}: {% for m in mentors %}{{ m.name }} ({{ m.covers }}); {% endfor %}\n")
    db = tmp_path / "history.db"
    assert main(["publish", str(out), "--db", str(db), "--templates", str(templates)]) == 0
    letter = (out / "letters" / "startups" / "s-kindbot.txt").read_text(encoding="utf-8")
    assert letter.startswith("Hello KindBot Robotics: ") and "Li Jing (technology)" in letter
    mentor_letter = (out / "letters" / "mentors" / "m-li-jing.txt").read_text(encoding="utf-8")
    assert "Dear Li Jing," in mentor_letter and "KindBot Robotics" in mentor_letter
    assert len(list((out / "letters" / "startups").iterdir())) == 9

    # the next cohort's history is the published pairs, not the first match's
    with Store(db) as store:
        (run,) = store.runs()
        assert run.adopted and run.cohort == "spring-2026"
        seen = store.history_for(PROGRAMME, before="2026-09-07")
    assert {(s, m) for cohort, s, m in seen} == after and {c for c, _, _ in seen} == {"spring-2026"}


def test_bad_decisions_name_file_row_and_field_and_write_nothing(matched, tmp_path, capsys):
    bad = tmp_path / "decisions.csv"
    bad.write_text("startup_id,mentor_id,decision,note\n"
                   "s-facetrust,m-kwok-hoi-lam,dorp,typo\n"       # row 2: unknown decision
                   "s-facetrusst,m-li-jing,pin,\n"                 # row 3: unknown startup
                   "s-facetrust,m-kwok-hoi-lam,keep,again\n"       # row 4: the pair twice
                   "s-kindbot,,pin,\n")                            # row 5: empty mentor
    assert main(["rematch", str(matched), "--decisions", str(bad), "--out", str(tmp_path / "r2")]) == 2
    said = capsys.readouterr().err
    assert "decisions.csv, row 2, field 'decision': is 'dorp', not one of keep, drop, pin" in said
    assert "did you mean 'drop'?" in said
    assert "decisions.csv, row 3, field 'startup_id': 's-facetrusst' is not in the matched cohort" in said
    assert "did you mean 's-facetrust'?" in said
    assert ("decisions.csv, row 4, field 'mentor_id': the pair s-facetrust, m-kwok-hoi-lam is listed "
            "again") in said
    assert "decisions.csv, row 5, field 'mentor_id': is empty" in said
    assert "Traceback" not in said and not (tmp_path / "r2").exists()

    bad.write_text("startup_id,mentor_id,decision\ns-kindbot,m-li-jing,keep\n")
    assert main(["rematch", str(matched), "--decisions", str(bad), "--out", str(tmp_path / "r2")]) == 2
    assert ("decisions.csv, row 2, field 'decision': keep names s-kindbot, m-li-jing, a pair the match "
            "does not have") in capsys.readouterr().err
    bad.write_text("startup,mentor_id,decision\n")
    assert main(["rematch", str(matched), "--decisions", str(bad), "--out", str(tmp_path / "r2")]) == 2
    assert "decisions.csv, row 1, field 'startup_id': required column is missing" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()


def test_a_result_folder_refuses_a_cohort_copy_changed_since(matched, capsys):
    copy = matched / "cohort" / "mentors.csv"
    copy.write_text(copy.read_text(encoding="utf-8").replace("Chan Wai-ming", "Chan W."), encoding="utf-8")
    assert main(["report", str(matched)]) == 2
    said = capsys.readouterr().err
    assert "r1/cohort: the files changed since the match" in said and "Traceback" not in said


def test_contacts_are_checked_and_shown_on_the_cards(tmp_path):
    import matcher
    from matcher.app.report import render_documents
    from matcher.errors import InputError

    data = tmp_path / "data"
    shutil.copytree("data/spring-2026", data)
    mentors = pd.read_csv(data / "mentors.csv", dtype=str, keep_default_na=False)
    mentors["email"] = [f"{i}@mentors.example" for i in mentors["id"]]
    mentors.loc[3, "email"] = "not an address"
    mentors.to_csv(data / "mentors.csv", index=False)
    with pytest.raises(InputError, match="mentors.csv, row 5, field 'email': 'not an address' is not an e-"):
        matcher.load_cohort(data)
    mentors.loc[3, "email"] = ""
    mentors.to_csv(data / "mentors.csv", index=False)
    cards = render_documents(matcher.match_cohort(data), "startups")
    assert "Rachel Tsang</strong> <span class=\"who\">– scientist, Greater Bay Centre for Medical AI · " \
           "m-rachel-tsang@mentors.example" in cards
