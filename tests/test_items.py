"""Evidence items: read item by item, aggregated per mentor, and scores that stay put."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import matcher
from matcher.data.models import Cohort, Evidence, Mentor, Startup
from matcher.errors import InputError
from matcher.scoring.affinity import COMPONENTS, AffinityModel
from matcher.scoring.features import ProfileVectorizer
from matcher.scoring.items import aggregate
from tests.strategies import item_similarities

UNRELATED = ["Retail pricing of fashion goods in shopping malls", "Port logistics and container shipping",
             "Wealth management for family offices", "Hotel revenue management and bookings",
             "Agricultural drones for rice paddies", "Esports tournaments and game streaming",
             "Construction site safety inspections", "Insurance claims for motor accidents",
             "Restaurant kitchen scheduling software", "Fashion supply chain sourcing in Vietnam",
             "Real estate valuation for residential flats"]
RELEVANT = "Deep learning for chest X-ray triage and radiology workflow in hospitals"


def cohort_of(expertise: dict[str, str], startup_text: str = "AI triage of chest X-ray images for radiology"
              ) -> Cohort:
    startup = Startup("s-scan", "Scan", ("vision/medical-imaging",), startup_text, needs=("technology",),
                      languages=("English",))
    mentors = tuple(Mentor(mid, mid, "professor", ("vision",), text, 2, offers=("technology",),
                           languages=("English",)) for mid, text in expertise.items())
    return Cohort(startups=(startup,), mentors=mentors)


@pytest.mark.parametrize("aggregation", ["top-k", "max", "mean"])
def test_one_relevant_item_among_many_outranks_only_unrelated_items(aggregation):
    cohort = cohort_of({"m-mixed": "\n".join(UNRELATED[:5] + [RELEVANT] + UNRELATED[5:]),
                        "m-unrelated": "\n".join(UNRELATED)})
    scores = AffinityModel(aggregation=aggregation).fit(cohort).score(cohort)
    text = scores.components["text"][0]
    assert text[0] > 0 and text[1] == 0.0
    assert scores.values[0, 0] > scores.values[0, 1]


def test_top_k_keeps_one_strong_item_stronger_than_one_document():
    cohort = cohort_of({"m-mixed": "\n".join([RELEVANT, *UNRELATED]), "m-short": RELEVANT})
    vec = ProfileVectorizer().fit(cohort)
    s, m = vec.transform(cohort.startups), vec.transform(cohort.mentors)
    from matcher.scoring.affinity import text_similarity

    document = text_similarity(s, m, aggregation="document")[0]
    top = text_similarity(s, m, aggregation="top-k", top_k=3)[0]
    maximum = text_similarity(s, m, aggregation="max")[0]
    # the strong item alone is the short mentor's score; the items keep it visible in the long list
    assert maximum[0] == pytest.approx(maximum[1]) == pytest.approx(document[1])
    assert top[0] == pytest.approx(maximum[1] / 3)
    assert top[0] > document[0]


def test_the_last_item_of_a_long_list_is_seen():
    long_list = UNRELATED * 4 + [RELEVANT]  # 45 items, the relevant one last
    cohort = cohort_of({"m-long": "\n".join(long_list), "m-alone": RELEVANT})
    scores = AffinityModel(aggregation="max").fit(cohort).score(cohort)
    assert scores.components["text"][0, 0] == pytest.approx(scores.components["text"][0, 1])


def test_evidence_items_count_like_lines_and_weigh_by_recency_and_kind():
    old = Evidence("Chest X-ray triage", "radiology deep learning", 2004, "paper")
    new = Evidence("Retail pricing", "fashion goods in malls", 2024, "paper")
    cohort = cohort_of({"m-a": "Machine learning researcher"})
    mentor = dataclasses.replace(cohort.mentors[0], evidence=(old, new))
    cohort = dataclasses.replace(cohort, mentors=(mentor,))
    plain = ProfileVectorizer().fit(cohort).transform(cohort.mentors)
    assert plain.items.shape[0] == 3 and plain.item_owner.tolist() == [0, 0, 0]
    recent = ProfileVectorizer(half_life=5, kind_weights={"expertise": 0.5}).fit(cohort)
    recent = recent.transform(cohort.mentors)
    assert recent.item_weight.tolist() == pytest.approx([0.5, 0.5 ** 4, 1.0])
    with pytest.raises(ValueError, match="half_life must be a number of years above 0"):
        ProfileVectorizer(half_life=-1).fit(cohort)


def test_the_vectoriser_is_a_scikit_learn_transformer():
    cohort = matcher.load_cohort("data/spring-2026")
    vec = ProfileVectorizer(half_life=4.0, idf="reference")
    with pytest.raises(NotFittedError):
        vec.transform(cohort.startups)
    assert vec.fit(cohort) is vec
    twin = clone(vec)
    assert twin.get_params()["half_life"] == 4.0 and not hasattr(twin, "vocabulary_")
    names = vec.get_feature_names_out()
    assert len(names) == vec.transform(cohort.startups).stacked().shape[1]


def test_scores_with_items_are_the_exact_sum_of_their_components():
    cohort = cohort_of({"m-mixed": "\n".join([RELEVANT, *UNRELATED]), "m-b": UNRELATED[0]})
    for aggregation in ("top-k", "max", "mean", "document"):
        scores = AffinityModel(aggregation=aggregation).fit(cohort).score(cohort)
        total = np.zeros(scores.shape)
        for name in COMPONENTS:
            total = total + scores.weighted(name)
        assert np.array_equal(total, scores.values)


def with_unrelated_profiles(cohort: Cohort) -> Cohort:
    startup = Startup("s-zz-bakery", "Bakery", ("fintech",), "Sourdough bread subscriptions for cafes",
                      needs=("fundraising",), languages=("English",))
    mentor = Mentor("m-zz-baker", "Baker", "entrepreneur", ("fintech",),
                    "Artisan bakery chain founder\nflour milling and ovens", 2, offers=("go-to-market",),
                    languages=("English",))
    return dataclasses.replace(cohort, startups=cohort.startups + (startup,),
                               mentors=cohort.mentors + (mentor,))


def test_absolute_scores_do_not_move_when_an_unrelated_profile_joins():
    cohort = matcher.load_cohort("data/autumn-2026")
    bigger = with_unrelated_profiles(cohort)
    before = AffinityModel(scale="absolute").fit(cohort).score(cohort)
    after = AffinityModel(scale="absolute").fit(bigger).score(bigger)
    after = after.subset(before.startup_ids, before.mentor_ids)
    assert np.allclose(after.values, before.values, rtol=0, atol=1e-12)
    # the cohort scale is documented to move: IDF and the largest similarity are the cohort's
    cohort_before = AffinityModel().fit(cohort).score(cohort)
    cohort_after = AffinityModel().fit(bigger).score(bigger).subset(before.startup_ids, before.mentor_ids)
    assert not np.allclose(cohort_after.components["text"], cohort_before.components["text"])


def test_evidence_file_is_read_and_its_errors_name_file_row_and_field(tmp_path):
    folder = tmp_path / "cohort"
    folder.mkdir()
    for name in ("startups.csv", "mentors.csv"):
        (folder / name).write_bytes((pd.io.common.Path("data/spring-2026") / name).read_bytes())
    mentors = pd.read_csv(folder / "mentors.csv")
    first = mentors["id"].iloc[0]
    (folder / "evidence.csv").write_text(
        "mentor_id,title,text,year,kind,url\n"
        f"{first},Chest X-ray triage,Radiology deep learning,2021,paper,https://example.org/a\n"
        f"{first},Keynote,,2019,talk,\n")
    cohort = matcher.load_cohort(folder)
    assert [e.kind for e in cohort.mentors[0].evidence] == ["paper", "talk"]
    (folder / "evidence.csv").write_text(
        "mentor_id,title,text,year,kind\n"
        f"{first},Triage,Radiology,20x1,paper\n"
        "m-nobody,Triage,Radiology,2021,paper\n"
        f"{first},Triage,Radiology,2021,papr\n")
    with pytest.raises(InputError) as err:
        matcher.load_cohort(folder)
    text = str(err.value)
    assert "evidence.csv, row 2, field 'year'" in text
    assert "evidence.csv, row 3, field 'mentor_id': names unknown id 'm-nobody'" in text
    assert "evidence.csv, row 4, field 'kind': unknown kind 'papr'" in text and "did you mean 'paper'" in text


@given(item_similarities(), st.sampled_from(["top-k", "max", "mean"]), st.integers(1, 4))
@settings(max_examples=150, deadline=None)
def test_aggregation_agrees_with_a_plain_loop_over_each_mentor(instance, how, k):
    similarity, owner, weight, n_owners = instance
    got = aggregate(similarity, owner, weight, n_owners, how=how, k=k)
    for j in range(n_owners):
        mine = owner == j
        for i in range(similarity.shape[0]):
            sims, w = similarity[i, mine], weight[mine]
            if not mine.any():
                expected = 0.0
            elif how == "mean":
                expected = float(sims @ w / w.sum()) if w.sum() > 0 else 0.0
            elif how == "max":
                expected = float((sims * w).max())
            else:
                expected = float(np.mean(sorted(sims * w, reverse=True)[:k]))
            assert got[i, j] == pytest.approx(expected, abs=1e-12)


WORDS = ["radiology", "triage", "routing", "fraud", "speech", "bakery", "chest", "x-ray", "retail",
         "energy", "chiller", "insurance", "claims", "cantonese", "vision", "deep", "learning"]


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), st.lists(st.sampled_from(WORDS), min_size=1,
       max_size=12), st.booleans())
@settings(max_examples=20, deadline=None)
def test_absolute_scores_ignore_any_profile_that_joins(startup_words, mentor_words, as_mentor):
    # not only an unrelated profile: in the absolute scale no newcomer, related or not, moves a pair
    cohort = matcher.load_cohort("data/autumn-2026")
    newcomer = (Mentor("m-zz-new", "New", "engineer", ("vision",), "\n".join(mentor_words), 1,
                       offers=("technology",), languages=("English",)) if as_mentor else
                Startup("s-zz-new", "New", ("vision",), " ".join(startup_words), needs=("technology",),
                        languages=("English",)))
    bigger = dataclasses.replace(cohort, mentors=cohort.mentors + (newcomer,)) if as_mentor else \
        dataclasses.replace(cohort, startups=cohort.startups + (newcomer,))
    before = AffinityModel(scale="absolute").fit(cohort).score(cohort)
    after = AffinityModel(scale="absolute").fit(bigger).score(bigger)
    after = after.subset(before.startup_ids, before.mentor_ids)
    assert np.allclose(after.values, before.values, rtol=0, atol=1e-12)
