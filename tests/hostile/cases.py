"""A corpus of broken and hostile inputs, built from tables: one case per (file, field, bad value).

Each :class:`Case` writes its files into a folder of its own (a copy of a sample cohort with one
thing broken), and says which exit statuses are right for it and what the message must name (the
file, and the row and field where there is one). :mod:`tests.hostile.runner` runs every case
through the command line and the Python API, each in a child process with a time and memory
limit; ``tests/test_hostile.py`` checks the outcomes.

This module imports nothing of matcher, so collecting the tests stays fast.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.test_io import edit_csv

DATA = Path(__file__).resolve().parents[2] / "data"

BAD = frozenset({2})
BAD_OR_INFEASIBLE = frozenset({2, 3})


@dataclass(frozen=True)
class Case:
    """One broken input.

    ``kind`` says how it is run: ``cohort`` (validate, match, batch and ``match_cohort``),
    ``scores`` (``matcher assign`` and ``read_scores``), ``jobs`` (``matcher batch``) or ``api``
    (a call in the child). ``mentions`` must all appear in the message.
    """

    name: str
    category: str
    kind: str
    build: Callable[[Path], None]
    mentions: tuple[str, ...] = ()
    validate: frozenset = BAD
    match: frozenset = BAD
    env: dict = field(default_factory=dict)
    call: Callable[[Path], object] | None = None  # api cases: what the child calls


# ---------------------------------------------------------------- building blocks

def copy_cohort(folder: Path, base: str = "spring-2026") -> Path:
    target = folder / "cohort"
    shutil.copytree(DATA / base, target)
    return target


def drop_column(path: Path, column: str) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = [c for c in rows[0] if c != column]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def set_key(path: Path, key: str, value: str) -> None:
    """Replace a top-level key of a YAML file (its indented block too) by ``key: value``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, skipping = [], False
    for line in lines:
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and (line.startswith(" ") or not line.strip()):
            continue
        skipping = False
        out.append(line)
    out.append(f"{key}: {value}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def rewrite(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


# a two-mentor, one-startup pool made in one line each, for short CSV cases
FIVE_DOMAINS = "vision;nlp;fintech;medtech;retail"
BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
       f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]" for i in range(8)]
)


def _bomb_value() -> str:
    """The same bomb as a flow value under one key."""
    return "&a [" + ",".join(['"lol"'] * 9) + "]"


# ---------------------------------------------------------------- tables of bad cells

BAD_IDS = {
    "upper": "S-FaceTrust", "space": "s face", "comma": "s,face", "quote": 's"face', "newline": "s\nface",
    "formula": "=HYPERLINK(1)", "non-ascii": "s-façade", "leading-dash": "-s-face", "blank": "",
    "too-long": "s-" + "a" * 120,
}

STARTUP_CELLS = [  # (field, label, bad value, validate codes, match codes)
    ("name", "blank", "", BAD, BAD),
    ("domains", "blank", "", BAD, BAD),
    ("domains", "five", FIVE_DOMAINS, BAD, BAD),
    ("domains", "unknown", "klingon/art", BAD, BAD),
    ("description", "blank", "  ", BAD, BAD),
    ("needs", "unknown", "magic", BAD, BAD),
    ("needs", "four", "technology;domain;go-to-market;fundraising", BAD, BAD),
    ("languages", "klingon", "Klingon", BAD, BAD),
    ("languages", "blank", "", BAD, BAD),
    ("languages", "elvish", "English;Elvish", BAD, BAD),
    ("stage", "unknown", "unicorn", BAD, BAD),
    ("stage", "blank", "", BAD, BAD),
    ("incorporated_on", "month-13", "2026-13-45", BAD, BAD),
    ("incorporated_on", "word", "yesterday", BAD, BAD),
    ("incorporated_on", "after-start", "2030-01-01", BAD, BAD),
    ("incorporated_on", "feb-30", "2024-02-30", BAD, BAD),
    ("incorporated_on", "time-25", "2024-02-19T25:00:00", BAD, BAD),
    ("founders_total", "zero", "0", BAD, BAD),
    ("founders_total", "negative", "-1", BAD, BAD),
    ("founders_total", "word", "two", BAD, BAD),
    ("founders_total", "fraction", "1.5", BAD, BAD),
    ("founders_total", "huge", "1e308", BAD, BAD),
    ("founders_total", "20-digits", "99999999999999999999", BAD, BAD),
    ("founders_hk_permanent", "more-than-total", "99", BAD, BAD),
    ("founders_hk_permanent", "negative", "-2", BAD, BAD),
    ("founders_hk_permanent", "word", "x", BAD, BAD),
    ("operates_mainly_in_hk", "maybe", "maybe", BAD, BAD),
    ("operates_mainly_in_hk", "two", "2", BAD, BAD),
    ("founder_share_pct", "150", "150", BAD, BAD),
    ("founder_share_pct", "negative", "-1", BAD, BAD),
    ("founder_share_pct", "nan", "nan", BAD, BAD),
    ("founder_share_pct", "inf", "inf", BAD, BAD),
    ("founder_share_pct", "word", "abc", BAD, BAD),
    ("ai_work_pct", "101", "101", BAD, BAD),
    ("ai_work_pct", "huge", "1e308", BAD, BAD),
    ("ai_work_pct", "NaN", "NaN", BAD, BAD),
]

MENTOR_CELLS = [
    ("name", "blank", "", BAD, BAD),
    ("kind", "wizard", "wizard", BAD, BAD),
    ("kind", "blank", "", BAD, BAD),
    ("domains", "blank", "", BAD, BAD),
    ("domains", "five", FIVE_DOMAINS, BAD, BAD),
    ("domains", "unknown", "astrology", BAD, BAD),
    ("expertise", "blank", "", BAD, BAD),
    ("offers", "unknown", "magic", BAD, BAD),
    ("capacity", "negative", "-1", BAD, BAD),
    ("capacity", "fraction", "1.5", BAD, BAD),
    ("capacity", "word", "two", BAD, BAD),
    ("capacity", "blank", "", BAD, BAD),
    ("capacity", "huge", "1e308", BAD, BAD),
    ("capacity", "20-digits", "99999999999999999999", BAD, BAD),
    ("capacity", "inf", "inf", BAD, BAD),
    ("capacity", "nan", "nan", BAD, BAD),
    ("languages", "klingon", "Klingon", BAD, BAD),
    ("languages", "blank", "", BAD, BAD),
    ("conflicts", "unknown", "s-nobody", BAD, BAD),
    ("conflicts", "not-a-slug", "S BAD", BAD, BAD),
]

HISTORY_CELLS = [  # autumn-2026's history.csv has rows
    ("mentor_id", "unknown", "m-nobody"),
    ("mentor_id", "blank", ""),
    ("mentor_id", "not-a-slug", "M Nobody"),
    ("startup_id", "not-a-slug", "S,Radiant"),
    ("startup_id", "blank", ""),
    ("cohort", "blank", ""),
    ("cohort", "not-a-slug", "Spring 2026"),
]

PREFERENCE_CELLS = [
    ("startup_rank", "zero", "0"),
    ("startup_rank", "word", "first"),
    ("startup_rank", "fraction", "1.5"),
    ("mentor_bid", "unknown", "perhaps"),
    ("mentor_id", "unknown", "m-nobody"),
    ("startup_id", "not-a-slug", "S FaceTrust"),
]

# programme.yaml: (key, label, YAML value, codes of validate, codes of match, words to mention)
PROGRAMME_VALUES = [
    ("k", "zero", "0"), ("k", "negative", "-1"), ("k", "word", "three"), ("k", "fraction", "2.5"),
    ("k", "reversed-range", "[3, 2]"), ("k", "three-items", "[1, 2, 3]"), ("k", "huge", "1e308"),
    ("k", "20-digits", "99999999999999999999"), ("k", "inf", ".inf"),
    ("weights", "word", '"heavy"'), ("weights", "negative", "{text: -1}"), ("weights", "nan", "{text: .nan}"),
    ("weights", "string", "{text: heavy}"), ("weights", "unknown", "{colour: 1}"),
    ("weights", "huge", "{text: 1.0e+300}"), ("weights", "list", "[1, 2]"),
    ("require_common_language", "maybe", "maybe"), ("require_common_language", "two", "2"),
    ("time_limit", "soon", "soon"), ("time_limit", "negative", "-5"), ("time_limit", "zero", "0"),
    ("time_limit", "nan", ".nan"), ("time_limit", "huge", "1e308"),
    ("seed", "word", "abc"), ("seed", "negative", "-1"), ("seed", "fraction", "1.5"),
    ("seed", "huge", "1099511627776"),
    ("solver", "quantum", "quantum"), ("solver", "number", "5"),
    ("workers", "zero", "0"), ("workers", "huge", "1000"), ("workers", "word", "x"),
    ("history_rule", "never", "never"), ("objective", "max", "max"), ("fairness", "two", "2"),
    ("min_load", "inf", ".inf"), ("min_load", "negative", "-1"), ("min_load", "word", "x"),
    ("min_load_hard", "maybe", "maybe"),
    ("balance_load", "word", "lots"), ("balance_load", "negative", "-1"), ("balance_load", "huge", "1e308"),
    ("continuity_bonus", "word", "big"), ("continuity_bonus", "huge", "1.0e+300"),
    ("yearly_capacity", "negative", "-1"), ("yearly_capacity", "fraction", "1.5"),
    ("yearly_capacity", "huge", "1e308"),
    ("quotas", "min-inf", "{academic: {kinds: [professor], min: .inf}}"),
    ("quotas", "no-members", "{academic: {min: 1}}"),
    ("quotas", "min-above-max", "{academic: {kinds: [professor], min: 3, max: 1}}"),
    ("quotas", "word", "x"), ("quotas", "unknown-key", "{academic: {kinds: [professor], least: 1}}"),
    ("coverage", "perhaps", "perhaps"),
    ("forbidden", "word", "x"), ("forbidden", "half-pair", "[[s-facetrust]]"),
    ("forbidden", "numbers", "[[1, 2]]"),
    ("pinned", "bare-id", "[s-facetrust]"),
    ("start_date", "month-13", "2026-13-45"), ("start_date", "hour-25", "2026-03-02T25:00:00"),
    ("start_date", "word", "soon"), ("start_date", "list", "[2026]"),
    ("cohort", "not-a-slug", '"Spring 2026!"'), ("cohort", "mapping", "{a: 1}"),
    ("eligibility", "age-3000", "{max_age_years: 3000}"),
    ("eligibility", "age-1e300", "{max_age_years: 1.0e+300}"),
    ("eligibility", "age-negative", "{max_age_years: -1}"),
    ("eligibility", "share-5", "{hk_permanent_above: 5}"),
    ("eligibility", "ai-nan", "{ai_work_at_least: .nan}"),
    ("eligibility", "hk-maybe", "{operates_mainly_in_hk: maybe}"),
    ("eligibility", "override-unknown", "{override: [s-nobody]}"),
    ("eligibility", "unknown-key", "{max_age_yrs: 3}"), ("eligibility", "word", "x"),
    ("kk", "unknown-key", "3"), ("mentor_kinds", "number", "5"), ("languages", "mapping", "{a: 1}"),
    ("history", "number", "5"), ("history", "missing-file", "missing.csv"),
    ("preferences", "missing-file", "nope.csv"), ("description", "nested", "[[1, 2], {a: b}]"),
]

# programme values that are well-formed but can never be satisfied: the files are fine (validate
# says so), matching is infeasible (exit 3)
PROGRAMME_INFEASIBLE = [
    ("k", "more-than-mentors", "40"),
    ("quotas", "min-above-k", "{academic: {kinds: [professor, scientist], min: 5}}"),
]


# ---------------------------------------------------------------- the cases

def _cell_case(category: str, file: str, row: int, column: str, label: str, value: str,
               validate: frozenset = BAD, match: frozenset = BAD, base: str = "spring-2026",
               setup: Callable[[Path], None] | None = None) -> Case:
    def build(folder: Path) -> None:
        cohort = copy_cohort(folder, base)
        if setup is not None:
            setup(cohort)
        edit_csv(cohort / file, row, column, value)

    stem = file.split(".")[0]
    return Case(f"{stem}-{column}-{label}", category, "cohort", build, (file, f"row {row}", column),
                validate, match)


def cohort_cell_cases() -> list[Case]:
    cases = []
    for label, value in BAD_IDS.items():
        cases.append(_cell_case("startups.csv cells", "startups.csv", 3, "id", label, value))
        cases.append(_cell_case("mentors.csv cells", "mentors.csv", 3, "id", label, value))
    for column, label, value, v, m in STARTUP_CELLS:
        cases.append(_cell_case("startups.csv cells", "startups.csv", 3, column, label, value, v, m))
    for column, label, value, v, m in MENTOR_CELLS:
        cases.append(_cell_case("mentors.csv cells", "mentors.csv", 3, column, label, value, v, m))
    for column, label, value in HISTORY_CELLS:
        cases.append(_cell_case("history.csv cells", "history.csv", 2, column, label, value,
                                base="autumn-2026"))

    def with_preferences(cohort: Path) -> None:
        set_key(cohort / "programme.yaml", "preferences", "preferences.csv")

    for column, label, value in PREFERENCE_CELLS:
        cases.append(_cell_case("preferences.csv cells", "preferences.csv", 2, column, label, value,
                                setup=with_preferences))

    def duplicate(file: str) -> Callable[[Path], None]:
        def build(folder: Path) -> None:
            cohort = copy_cohort(folder)
            with open(cohort / file, newline="", encoding="utf-8") as f:
                first = next(iter(csv.DictReader(f)))["id"]
            edit_csv(cohort / file, 3, "id", first)
        return build

    for file in ("startups.csv", "mentors.csv"):
        cases.append(Case(f"{file.split('.')[0]}-id-duplicate", f"{file} cells", "cohort", duplicate(file),
                          (file, "row 3", "id")))
    return cases


def _structural(name: str, change: Callable[[Path], None], mentions: tuple[str, ...],
                category: str = "CSV structure", base: str = "spring-2026", env: dict | None = None,
                validate: frozenset = BAD, match: frozenset = BAD) -> Case:
    def build(folder: Path) -> None:
        change(copy_cohort(folder, base))

    return Case(name, category, "cohort", build, mentions, validate, match, env or {})


def _replace_line(file: str, row: int, change: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(cohort: Path) -> None:
        lines = lines_of(cohort / file)
        lines[row - 1] = change(lines[row - 1])
        (cohort / file).write_text("\n".join(lines), encoding="utf-8")
    return apply


def _header_only(file: str) -> Callable[[Path], None]:
    def apply(cohort: Path) -> None:
        (cohort / file).write_text(lines_of(cohort / file)[0] + "\n", encoding="utf-8")
    return apply


def _special(file: str, kind: str) -> Callable[[Path], None]:
    def apply(cohort: Path) -> None:
        path = cohort / file
        path.unlink()
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "dev-zero":
            path.symlink_to("/dev/zero")
        elif kind == "folder":
            path.mkdir()
        elif kind == "sparse-huge":
            with open(path, "wb") as f:
                f.truncate(300 * 1024 * 1024)
    return apply


def _mentor_line(line: str) -> str:
    # the mentors' lines hold quoted fields; cut after the fourth comma outside quotes
    return line.split(",", 3)[0] + "," + line.split(",", 3)[1]


def structure_cases() -> list[Case]:
    s, m = "startups.csv", "mentors.csv"
    cases = [
        _structural("startups-header-repeats-name", _replace_line(s, 1, lambda h: h.replace(
            "name,", "name,name,", 1)), (s, "row 1", "name")),
        _structural("mentors-header-repeats-capacity", _replace_line(m, 1, lambda h: h.replace(
            "capacity", "capacity,capacity", 1)), (m, "row 1", "capacity")),
        _structural("mentors-short-row", _replace_line(m, 3, _mentor_line), (m, "row 3")),
        _structural("mentors-long-row", _replace_line(m, 3, lambda line: line + ",extra,more"), (m, "row 3")),
        _structural("startups-short-row", _replace_line(s, 4, lambda line: line.split(",")[0]), (s, "row 4")),
        _structural("startups-bad-quote", _replace_line(s, 3, lambda line: 's-x,"Bad"quote' + line[3:]),
                    (s,)),
        _structural("mentors-nul-byte", lambda c: (c / m).write_bytes((c / m).read_bytes().replace(
            b"professor", b"prof\x00essor", 1)), (m,)),
        _structural("startups-latin-1", lambda c: (c / s).write_bytes((c / s).read_text(
            encoding="utf-8").replace("FaceTrust Labs", "FaceTrust Labé").encode("latin-1")), (s, "row 2")),
        _structural("startups-binary", lambda c: (c / s).write_bytes(bytes(range(256)) * 8), (s,)),
        _structural("mentors-header-only", _header_only(m), (m, "no mentors")),
        _structural("startups-header-only", _header_only(s), (s, "no startups")),
        _structural("mentors-empty-file", lambda c: (c / m).write_text(""), (m,)),
        _structural("mentors-missing-capacity-column", lambda c: drop_column(c / m, "capacity"),
                    (m, "row 1", "capacity")),
        _structural("startups-missing-ai-work-column", lambda c: drop_column(c / s, "ai_work_pct"),
                    (s, "row 1", "ai_work_pct")),
        _structural("startups-missing-founders-column", lambda c: drop_column(c / s, "founders_total"),
                    (s, "row 1", "founders_total")),
        _structural("mentors-unnamed-column-with-values", _unnamed_column, (m, "row 1")),
        _structural("mentors-missing-file", lambda c: (c / m).unlink(), (m.split(".")[0],)),
        _structural("mentors-fifo", _special(m, "fifo"), (m, "not a regular file")),
        _structural("mentors-dev-zero", _special(m, "dev-zero"), (m, "not a regular file")),
        _structural("mentors-is-folder", _special(m, "folder"), (m, "folder")),
        _structural("startups-sparse-300mb", _special(s, "sparse-huge"), (s, "MATCHER_MAX_INPUT_BYTES")),
        _structural("startups-over-env-limit", lambda c: None, (s, "MATCHER_MAX_INPUT_BYTES"),
                    env={"MATCHER_MAX_INPUT_BYTES": "2000"}),
        _structural("history-fifo", _special("history.csv", "fifo"), ("history.csv", "not a regular file")),
        _structural("programme-fifo", _special("programme.yaml", "fifo"), ("programme.yaml", "regular file")),
        _structural("five-mistakes-in-three-files", _five_mistakes,
                    ("startups.csv, row 3", "mentors.csv, row 4", "mentors.csv, row 5", "programme.yaml",
                     "history.csv, row 2")),
    ]
    return cases


def _unnamed_column(cohort: Path) -> None:
    """A last column with no name in the header but values in the rows."""
    rewrite(cohort / "mentors.csv", lambda text: "\n".join(
        (line + ("," if n == 0 else ",x")) if line else line for n, line in enumerate(text.split("\n"))))


def _five_mistakes(cohort: Path) -> None:
    """Mistakes in three files at once: every one must be reported together."""
    edit_csv(cohort / "startups.csv", 3, "stage", "unicorn")
    edit_csv(cohort / "mentors.csv", 4, "capacity", "two")
    edit_csv(cohort / "mentors.csv", 5, "kind", "wizard")
    set_key(cohort / "programme.yaml", "k", "three")
    (cohort / "history.csv").write_text("cohort,startup_id,mentor_id\nspring-2025,s-old,m-nobody\n")


def programme_cases() -> list[Case]:
    cases = []
    for key, label, value in PROGRAMME_VALUES:
        def build(folder: Path, key: str = key, value: str = value) -> None:
            set_key(copy_cohort(folder) / "programme.yaml", key, value)
        cases.append(Case(f"programme-{key}-{label}", "programme.yaml values", "cohort", build,
                          ("programme.yaml" if key not in ("history", "preferences") else "",
                           key if key not in ("history", "preferences") else "")))
    for key, label, value in PROGRAMME_INFEASIBLE:
        def build(folder: Path, key: str = key, value: str = value) -> None:
            set_key(copy_cohort(folder) / "programme.yaml", key, value)
        cases.append(Case(f"programme-{key}-{label}", "infeasible rules", "cohort", build, (),
                          frozenset({0}), frozenset({3})))

    def no_mandarin(folder: Path) -> None:
        """A startup mentored in Mandarin only, and no mentor who speaks it."""
        cohort = copy_cohort(folder)
        with open(cohort / "mentors.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            kept = [x for x in row["languages"].split(";") if x != "Mandarin"]
            row["languages"] = ";".join(kept) or "English"
        with open(cohort / "mentors.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    cases.append(Case("mentors-nobody-speaks-mandarin", "languages", "cohort", no_mandarin,
                      ("startups.csv", "languages", "Mandarin"), BAD, BAD_OR_INFEASIBLE))
    yaml_cases = {
        "billion-laughs-top": (BILLION_LAUGHS + "\n", ("programme.yaml", "anchor or alias")),
        "billion-laughs-cohort": (None, ("programme.yaml", "anchor or alias")),
        "billion-laughs-description": (None, ("programme.yaml", "anchor or alias")),
        "simple-anchor": ("k: &three 3\nseed: *three\n", ("programme.yaml", "anchor or alias")),
        "merge-key": ("base: &b {k: 3}\n<<: *b\n", ("programme.yaml",)),
        "nested-20000": ("k: " + "[" * 20000 + "]" * 20000 + "\n", ("programme.yaml", "deeper")),
        "nested-blocks-200": ("k:\n" + "".join("  " * i + "- \n" for i in range(1, 200)),
                              ("programme.yaml",)),
        "syntax-error": ("k: [3\nseed: 1\n", ("programme.yaml", "not valid YAML")),
        "tab-indent": ("quotas:\n\tacademic: {min: 1}\n", ("programme.yaml", "not valid YAML")),
        "top-level-list": ("- k\n- 3\n", ("programme.yaml", "mapping")),
        "python-object": ("k: !!python/object/apply:os.system [echo hi]\n", ("programme.yaml",)),
        "latin-1": (None, ("programme.yaml", "UTF-8")),
        "huge-int": ("k: " + "9" * 5000 + "\n", ("programme.yaml", "digits")),
        "over-yaml-limit": ("description: " + "x" * 5000 + "\n",
                            ("programme.yaml", "MATCHER_MAX_YAML_BYTES")),
    }
    for label, (text, mentions) in yaml_cases.items():
        def build(folder: Path, label: str = label, text: str | None = text) -> None:
            path = copy_cohort(folder) / "programme.yaml"
            if label == "billion-laughs-cohort":
                path.write_text(BILLION_LAUGHS.replace("i: &i", "cohort: &i") + "\n")
            elif label == "billion-laughs-description":
                path.write_text(BILLION_LAUGHS.replace("i: &i", "description: &i") + "\n")
            elif label == "latin-1":
                path.write_bytes("programme: Café Lab\nk: 3\n".encode("latin-1"))
            else:
                path.write_text(text, encoding="utf-8")
        env = {"MATCHER_MAX_YAML_BYTES": "2000"} if label == "over-yaml-limit" else {}
        cases.append(Case(f"programme-yaml-{label}", "programme.yaml structure", "cohort", build, mentions,
                          env=env))
    return cases


def document_cases() -> list[Case]:
    """Cohorts as one JSON document."""
    def make(text: str) -> Callable[[Path], None]:
        def build(folder: Path) -> None:
            (folder / "cohort").mkdir()
            (folder / "cohort" / "cohort.json").write_text(text, encoding="utf-8")
        return build

    def path_of(folder: Path) -> Path:
        return folder / "cohort" / "cohort.json"

    deep = "[" * 100000 + "]" * 100000
    return [
        Case("json-nested-100000", "JSON documents", "cohort", make('{"startups": ' + deep + "}"),
             ("cohort.json", "deeper")),
        Case("json-syntax-error", "JSON documents", "cohort", make('{"startups": [}'),
             ("cohort.json", "not valid JSON")),
        Case("json-not-a-mapping", "JSON documents", "cohort", make("[1, 2]"), ("cohort.json", "mapping")),
        Case("json-startups-not-a-list", "JSON documents", "cohort", make('{"startups": 5, "mentors": []}'),
             ("cohort.json", "startups")),
        Case("json-huge-number", "JSON documents", "cohort", make('{"startups": [], "mentors": [], '
                                                                  '"programme": {"k": 1e999}}'),
             ("cohort.json",)),
        Case("json-empty-pools", "JSON documents", "cohort", make('{"startups": [], "mentors": []}'),
             ("cohort.json",)),
    ]


COHORT_DOCUMENT = {"json-nested-100000", "json-syntax-error", "json-not-a-mapping",
                   "json-startups-not-a-list", "json-huge-number", "json-empty-pools"}


# ---------------------------------------------------------------- score files (matcher assign)

GOOD_SCORES = "startup,m0,m1,m2,m3\ns0,0.5,0.2,0.9,0.1\ns1,0.3,0.8,0.4,0.6\ns2,0.7,0.1,0.2,0.9\n"

SCORE_FILES = {  # name: (text, words to mention)
    "header-repeats-mentor": ("startup,m0,m0,m2,m3\ns0,1,2,3,4\ns1,4,3,2,1\ns2,1,1,1,1\n", ("row 1", "m0")),
    "blank-startup-id": (GOOD_SCORES.replace("s1,", ",", 1), ("row 3",)),
    "repeated-startup": (GOOD_SCORES.replace("s2,", "s0,", 1), ("row 4", "s0")),
    "huge-score": (GOOD_SCORES.replace("0.9", "1e308", 1), ("row 2", "m2")),
    "inf-score": (GOOD_SCORES.replace("0.9", "inf", 1), ("row 2", "m2")),
    "minus-inf-score": (GOOD_SCORES.replace("0.4", "-inf", 1), ("row 3", "m2")),
    "word-score": (GOOD_SCORES.replace("0.8", "high", 1), ("row 3", "m1")),
    "short-row": (GOOD_SCORES.replace("s1,0.3,0.8,0.4,0.6", "s1,0.3,0.8"), ("row 3",)),
    "long-row": (GOOD_SCORES.replace("s1,0.3,0.8,0.4,0.6", "s1,0.3,0.8,0.4,0.6,0.7"), ("row 3",)),
    "header-only": ("startup,m0,m1\n", ()),
    "one-column": ("startup\ns0\ns1\n", ("row 1",)),
    "mentor-not-a-slug": (GOOD_SCORES.replace("m3", "M 3"), ("row 1", "M 3")),
    "startup-formula": (GOOD_SCORES.replace("s2,", "=cmd(),", 1), ("row 4",)),
    "nul-byte": (GOOD_SCORES.replace("0.5", "0\x005", 1), ()),
    "blank-mentor-with-values": (GOOD_SCORES.replace("m3", ""), ("row 1",)),
}


def score_cases() -> list[Case]:
    cases = []
    for label, (text, mentions) in SCORE_FILES.items():
        def build(folder: Path, text: str = text) -> None:
            (folder / "scores.csv").write_text(text, encoding="utf-8")
            (folder / "capacity.csv").write_text("mentor_id,capacity\nm0,2\nm1,2\nm2,2\nm3,2\n")
        cases.append(Case(f"scores-{label}", "score files", "scores", build, ("scores.csv",) + mentions))
    for label, kind in (("fifo", "fifo"), ("dev-zero", "dev-zero"), ("sparse-300mb", "sparse-huge")):
        def build(folder: Path, kind: str = kind) -> None:
            (folder / "scores.csv").write_text(GOOD_SCORES)
            (folder / "capacity.csv").write_text("mentor_id,capacity\nm0,2\nm1,2\nm2,2\nm3,2\n")
            _special("scores.csv", kind)(folder)
        cases.append(Case(f"scores-{label}", "score files", "scores", build, ("scores.csv",)))
    capacities = {
        "fraction": ("mentor_id,capacity\nm0,1.5\nm1,2\nm2,2\nm3,2\n", ("row 2", "capacity", "1.5")),
        "repeated": ("mentor_id,capacity\nm0,1\nm0,2\nm2,2\nm3,2\n", ("row 3", "mentor_id")),
        "negative": ("mentor_id,capacity\nm0,-1\nm1,2\nm2,2\nm3,2\n", ("row 2", "capacity")),
        "huge": ("mentor_id,capacity\nm0,1e308\nm1,2\nm2,2\nm3,2\n", ("row 2", "capacity")),
        "not-a-slug": ("mentor_id,capacity\nM 0,1\nm1,2\nm2,2\nm3,2\n", ("row 2", "mentor_id")),
    }
    for label, (text, mentions) in capacities.items():
        def build(folder: Path, text: str = text) -> None:
            (folder / "scores.csv").write_text(GOOD_SCORES)
            (folder / "capacity.csv").write_text(text)
        cases.append(Case(f"capacity-{label}", "capacity files", "scores", build,
                          ("capacity.csv",) + mentions))
    return cases


# ---------------------------------------------------------------- job files (matcher batch)

JOB_FILES = {
    "billion-laughs": (BILLION_LAUGHS + "\njobs: []\n", ("jobs.yaml", "anchor or alias")),
    "nested-20000": ("jobs: " + "[" * 20000 + "]" * 20000 + "\n", ("jobs.yaml", "deeper")),
    "unknown-key": ("jobz: []\n", ("jobs.yaml",)),
    "k-word": ("jobs:\n  - {name: a, cohort: COHORT, k: three}\n", ("jobs.yaml", "row 2", "k")),
    "seed-word": ("jobs:\n  - {name: a, cohort: COHORT, seed: abc}\n", ("jobs.yaml", "row 2", "seed")),
    "time-limit-nan": ("jobs:\n  - {name: a, cohort: COHORT, time_limit: .nan}\n",
                       ("jobs.yaml", "time_limit")),
    "missing-cohort": ("jobs:\n  - {name: a, cohort: no-such-folder}\n", ("jobs.yaml", "cohort")),
    "jobs-not-a-list": ("jobs: 5\n", ("jobs.yaml", "jobs")),
    "duplicate-names": ("jobs:\n  - {name: a, cohort: COHORT}\n  - {name: a, cohort: COHORT}\n",
                        ("jobs.yaml", "row 3", "name")),
    "syntax-error": ("jobs: [\n", ("jobs.yaml", "not valid YAML")),
    "python-object": ("jobs: !!python/object/apply:os.system [echo hi]\n", ("jobs.yaml",)),
}


def job_cases() -> list[Case]:
    cases = []
    for label, (text, mentions) in JOB_FILES.items():
        def build(folder: Path, text: str = text) -> None:
            copy_cohort(folder)
            (folder / "jobs.yaml").write_text(text.replace("COHORT", "cohort"), encoding="utf-8")
        cases.append(Case(f"jobs-{label}", "job files", "jobs", build, mentions))

    def fifo(folder: Path) -> None:
        copy_cohort(folder)
        os.mkfifo(folder / "jobs.yaml")
    cases.append(Case("jobs-fifo", "job files", "jobs", fifo, ("jobs.yaml",)))
    return cases


# ---------------------------------------------------------------- the Python API

def _assign(**kwargs: object) -> Callable[[Path], object]:
    def call(folder: Path) -> object:
        import numpy as np
        import pandas as pd

        import matcher

        given = dict(kwargs)
        values = given.pop("scores", None)
        scores = np.array([[0.5, 0.2, 0.9], [0.3, 0.8, 0.4]]) if values is None else values
        frame = pd.DataFrame(scores, index=["s-a", "s-b"], columns=["m-a", "m-b", "m-c"])
        return matcher.assign(frame, **{"k": 1, "capacity": 1, **given})
    return call


def _match(**kwargs: object) -> Callable[[Path], object]:
    def call(folder: Path) -> object:
        import matcher

        return matcher.match_cohort(folder / "cohort", **kwargs)
    return call


def _load(**kwargs: object) -> Callable[[Path], object]:
    def call(folder: Path) -> object:
        import matcher

        return matcher.load_cohort(folder / "cohort", **kwargs)
    return call


#: assign keywords matcher.solve checks itself (not this branch's part): run, but not yet required
NEEDS_SOLVE_CHECK: set[str] = set()

#: Every how-many-th cell case also runs through ``matcher batch`` (each batch run sets up a store,
#: about a second; every other kind of case always runs through it).
BATCH_EVERY = 4


def api_cases() -> list[Case]:
    nan, inf = float("nan"), float("inf")
    assign_args = {
        "time_limit-word": {"time_limit": "x"}, "time_limit-nan": {"time_limit": nan},
        "time_limit-negative": {"time_limit": -1}, "seed-word": {"seed": "abc"},
        "seed-negative": {"seed": -1},
        "workers-zero": {"workers": 0}, "pinned-bare-id": {"pinned": ["s-a"]},
        "forbidden-unknown": {"forbidden": [("s-nobody", "m-nobody")]},
        "scores-huge": {"scores": [[1e308, 1e308, 1e308], [1e308, 1e308, 1e308]]},
        "scores-inf": {"scores": [[inf, 0.1, 0.2], [0.1, 0.2, 0.3]]},
        "scores-nan": {"scores": [[nan, 0.1, 0.2], [0.1, 0.2, 0.3]]},
        "k-word": {"k": "three"}, "k-fraction": {"k": 2.5}, "capacity-fraction": {"capacity": 1.5},
        "capacity-negative": {"capacity": -1}, "capacity-word": {"capacity": "x"},
        "solver-quantum": {"solver": "quantum"}, "missing-maybe": {"missing": "maybe"},
        "objective-max": {"objective": "max"}, "k-too-many": {"k": 3},
    }
    cases = []
    for label, kwargs in assign_args.items():
        infeasible = label == "k-too-many"
        cases.append(Case(f"api-assign-{label}", "API arguments", "api", lambda folder: None,
                          () if infeasible else ("argument",), BAD, frozenset({3}) if infeasible else BAD,
                          call=_assign(**kwargs)))
    match_args = {
        "k-zero": {"k": 0}, "k-word": {"k": "three"}, "seed-word": {"seed": "abc"},
        "time_limit-soon": {"time_limit": "soon"}, "time_limit-nan": {"time_limit": nan},
        "weights-word": {"weights": "heavy"}, "weights-negative": {"weights": {"text": -1}},
        "solver-quantum": {"solver": "quantum"}, "pinned-bare-id": {"pinned": ["s-facetrust"]},
        "forbidden-unknown": {"forbidden": [("s-nobody", "m-nobody")]}, "unknown-rule": {"kk": 3},
        "override-unknown": {"override_eligibility": ["s-nobody"]}, "workers-zero": {"workers": 0},
    }
    for label, kwargs in match_args.items():
        cases.append(Case(f"api-match-{label}", "API arguments", "api",
                          lambda folder: copy_cohort(folder), (), call=_match(**kwargs)))
    load_args = {"k-word": {"k": "three"}, "missing-history": {"history": "nope.csv"},
                 "startups-fifo": {"startups": "FIFO"}}
    for label, kwargs in load_args.items():
        def build(folder: Path, label: str = label) -> None:
            copy_cohort(folder)
            if label == "startups-fifo":
                os.mkfifo(folder / "fifo.csv")

        def call(folder: Path, kwargs: dict = kwargs) -> object:
            args = {k: (str(folder / "fifo.csv") if v == "FIFO" else v) for k, v in kwargs.items()}
            return _load(**args)(folder)
        cases.append(Case(f"api-load-{label}", "API arguments", "api", build, (), call=call))
    return cases


def all_cases() -> list[Case]:
    cases = (cohort_cell_cases() + structure_cases() + programme_cases() + document_cases()
             + score_cases() + job_cases() + api_cases())
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    return cases


def cohort_path(case: Case, folder: Path) -> Path:
    """The path matcher is given for a cohort case: the folder, or the one JSON document."""
    if case.name in COHORT_DOCUMENT:
        return folder / "cohort" / "cohort.json"
    return folder / "cohort"


def runs_of(case: Case) -> list[str]:
    """How a case is run (each in its own child process)."""
    if case.kind == "cohort":
        cell = case.category.endswith(" cells")
        batch = not cell or sum(map(ord, case.name)) % BATCH_EVERY == 0
        return ["validate", "match", "api"] + (["batch"] if batch else [])
    return {"scores": ["assign", "api"], "jobs": ["batch"], "api": ["api"]}[case.kind]


def write_jobs(folder: Path, cohort: Path) -> Path:
    path = folder / "batch.yaml"
    path.write_text(json.dumps({"out": "batch-out", "jobs": [{"name": "one", "cohort": str(cohort)}]}))
    return path
