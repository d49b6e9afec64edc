"""The history store, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import dataclasses
import socket

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import matcher
from matcher.app.store import Base, Store, rules_from_json, rules_to_json
from matcher.errors import InputError

PROGRAMME = "HK AI Lab Accelerator"


@pytest.fixture(scope="module")
def spring_cohort():
    # with the startups' stated preferences, so they must be stored too
    return matcher.load_cohort("data/spring-2026", preferences="data/spring-2026/preferences.csv")


@pytest.fixture(scope="module")
def spring_result(spring_cohort):
    return matcher.match_cohort(spring_cohort)


def _schema_diff(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()


def test_alembic_upgrade_head_yields_the_models_schema(store_url, tmp_path):
    # `alembic -c alembic.ini -x url=... upgrade head` on an empty database, as an operator runs it
    # (through alembic's command-line entry point, in this process to save a second interpreter)
    from alembic.config import CommandLine

    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {matcher.__path__[0]}/app/migrations\n")
    CommandLine(prog="alembic").main(["-c", str(ini), "-x", f"url={store_url}", "upgrade", "head"])
    assert _schema_diff(store_url) == []
    engine = sa.create_engine(store_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert tables == {"programmes", "cohorts", "startups", "mentors", "runs", "assignments",
                      "alembic_version"}
    Store(store_url).close()  # opening an up-to-date store is a no-op


def test_run_round_trips_exactly_and_resolves_from_the_store_alone(store_url, spring_cohort, spring_result):
    with Store(store_url) as store:
        with pytest.raises(InputError, match="screening left startups out"):
            store.record(spring_result)
        run_id = store.record(spring_result, cohort=spring_cohort, inputs_hash="h1", job="spring",
                              out_dir="out/spring")
    with Store(store_url) as store:  # a new connection: nothing cached
        record = store.run(run_id)
        pairs = store.pairs(run_id)
        cohort = store.load_cohort(run_id)
    a = spring_result.assignment
    assert (record.objective, record.bound, record.status, record.solver) == (a.objective, a.bound,
                                                                               a.status, a.solver)
    assert record.inputs_hash == "h1" and record.job == "spring" and record.n_pairs == len(a.rows) == 27
    assert record.rules == rules_to_json(spring_result.rules)
    assert record.start_date.isoformat() == "2026-03-02"
    pd.testing.assert_frame_equal(pairs, a.pairs)  # floats bit for bit
    # the stored inputs alone give the same cohort and, solved again, the same matching
    original = spring_cohort  # as filed: 11 startups, 9 of them eligible and matched
    assert len(cohort.startups) == 11 and len(spring_result.cohort.startups) == 9
    assert cohort.startups == original.startups and cohort.mentors == original.mentors
    assert [s.attributes for s in cohort.startups] == [dict(s.attributes) for s in original.startups]
    assert cohort.rules == original.rules and cohort.history == original.history
    assert dataclasses.astuple(cohort.preferences) == dataclasses.astuple(original.preferences)
    assert cohort.meta["eligibility"] == original.meta["eligibility"]
    again = matcher.match_cohort(cohort)
    assert again.assignments.equals(spring_result.assignments)
    assert again.assignment.objective == a.objective


def test_history_for_gives_the_adopted_or_latest_run_per_earlier_cohort(store_url, spring_cohort,
                                                                       spring_result):
    autumn_cohort = matcher.load_cohort("data/autumn-2026")
    autumn = matcher.match_cohort(autumn_cohort)
    k2 = matcher.match_cohort(spring_cohort, k=2)
    with Store(store_url) as store:
        first = store.record(spring_result, cohort=spring_cohort)
        second = store.record(k2, cohort=spring_cohort)
        store.record(autumn, cohort=autumn_cohort)

        def expected(run_id):
            return tuple(sorted(("spring-2026", s, m) for s, m in
                                store.pairs(run_id)[["startup_id", "mentor_id"]].itertuples(index=False)))

        # no run adopted: the latest spring run counts; autumn started later, so it is left out
        assert store.history_for(PROGRAMME, before="autumn-2026") == expected(second)
        assert store.history_for(PROGRAMME, before="2026-09-07") == expected(second)
        assert store.history_for(PROGRAMME, before="spring-2026") == ()
        store.adopt(first)
        history = store.history_for(PROGRAMME, before="autumn-2026")
        n_spring, n_autumn = len(spring_result.assignment.rows), len(autumn.assignment.rows)
        assert history == expected(first) and len(history) == n_spring
        assert len(store.history_for(PROGRAMME)) == n_spring + n_autumn
        assert store.history_for("another programme") == ()
        with pytest.raises(InputError, match="neither a stored cohort"):
            store.history_for(PROGRAMME, before="winter")
        # yearly load: every pair of the year's cohorts, or all but the one being matched
        load = store.mentor_load(PROGRAMME, 2026)
        assert sum(load.values()) == n_spring + n_autumn
        spring_only = store.mentor_load(PROGRAMME, 2026, exclude="autumn-2026")
        counted = spring_result.assignment.pairs["mentor_id"].value_counts().to_dict()
        assert spring_only == dict(sorted(counted.items()))
        assert store.mentor_load(PROGRAMME, 2025) == {}
    # the tuples feed Cohort.history as they are
    cohort = dataclasses.replace(autumn.cohort, history=history)
    assert cohort.history == history
    assert matcher.match_cohort(cohort).cohort.history == history


@pytest.mark.skipif("history_rule" not in {f.name for f in dataclasses.fields(matcher.Rules)},
                    reason="the repeat-pair rule (Rules.history_rule) is not in this version yet")
def test_stored_history_forbids_repeat_pairs(store_url, spring_cohort, spring_result):
    with Store(store_url) as store:
        store.record(spring_result, cohort=spring_cohort, adopt=True)
        history = store.history_for(PROGRAMME, before="2026-09-07")  # autumn is not stored: its start
    autumn = matcher.load_cohort("data/autumn-2026")
    free = matcher.match_cohort(dataclasses.replace(autumn, history=()), history_rule="forbid")
    pairs = set(map(tuple, free.assignment.pairs[["startup_id", "mentor_id"]].to_numpy().tolist()))
    repeats = {(s, m) for _, s, m in history} & pairs
    assert repeats, "the test needs a cohort that would repeat a pair without the rule"
    ruled = matcher.match_cohort(dataclasses.replace(autumn, history=history), history_rule="forbid")
    pairs = set(map(tuple, ruled.assignment.pairs[["startup_id", "mentor_id"]].to_numpy().tolist()))
    assert not {(s, m) for _, s, m in history} & pairs


def test_rules_json_round_trip():
    rules = matcher.Rules(k=(2, 3), forbidden=(("s1", "m1"),), pinned=(("s2", "m2"),), time_limit=2.5, seed=7)
    assert rules_from_json(rules_to_json(rules)) == rules
    # the programme rules too: quotas, coverage, loads, history and the objective
    rich = matcher.load_cohort("data/spring-2026", coverage=True, min_load=1, balance_load=0.05,
                               history_rule="prefer", yearly_capacity=3, objective="fair").rules
    assert rich.quotas and rules_from_json(rules_to_json(rich)) == rich
    with pytest.raises(InputError, match="'colour'.*not a rule"):
        rules_from_json({"colour": "blue"})


def test_unreachable_database_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(InputError, match="cannot open the history database"):
        Store(tmp_path / "a-file" / "matcher.db")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match="127.0.0.1.*cannot open the history database"):
        Store(f"postgresql+psycopg://nobody:secret@127.0.0.1:{port}/matcher")
    with Store(tmp_path / "h.db") as store, pytest.raises(InputError, match="has no run 42"):
        store.run(42)


def test_startup_ids_survive_any_text(store_url):
    # names and ids with quotes, unicode and markup are stored as given
    startups = pd.DataFrame({"id": ["s-a"], "name": ["O'Brien \"Ltd\" <b>粵</b>"], "domains": ["vision"],
                             "description": ["Robots; see x"], "languages": ["English"]})
    mentors = pd.DataFrame({"id": ["m-a"], "name": ["Zoë"], "kind": ["professor"], "domains": ["vision"],
                            "expertise": ["vision"], "capacity": [1], "languages": ["English"]})
    result = matcher.match_cohort(matcher.load_cohort(startups=startups, mentors=mentors, k=1))
    with Store(store_url) as store:
        run_id = store.record(result)
        cohort = store.load_cohort(run_id)
    assert cohort.startups[0].name == "O'Brien \"Ltd\" <b>粵</b>" and cohort.mentors[0].name == "Zoë"
    assert np.array_equal(matcher.match_cohort(cohort).assignment.scores, result.assignment.scores)
