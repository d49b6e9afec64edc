"""The history store, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import dataclasses
import socket

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import matcher
from matcher.app.store import Base, Run, Store, rules_from_json, rules_to_json
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


# ---------------------------------------------------------------- several processes, one store

def test_a_batch_run_is_stored_once_per_attempt(store_url, spring_cohort, spring_result):
    once = {"cohort": spring_cohort, "inputs_hash": "h1", "job": "spring", "out_dir": "/out/spring"}
    with Store(store_url) as store:
        first = store.record(spring_result, **once, attempt=0)
        assert store.record(spring_result, **once, attempt=0) == first   # a resumed batch: no new run
        forced = store.record(spring_result, **once, attempt=1)          # run again on purpose
        elsewhere = store.record(spring_result, **{**once, "out_dir": "/out/other"}, attempt=0)
        store.record(spring_result, cohort=spring_cohort)                 # outside a batch: no limit
        store.record(spring_result, cohort=spring_cohort)
        assert len({first, forced, elsewhere}) == 3 and len(store.runs()) == 5
        assert store.count("h1", out_dir="/out/spring") == 2 and store.find("h1", out_dir="/out/x") is None
        assert store.find("h1", out_dir="/out/spring").id == forced
        assert [r.attempt for r in store.runs()] == [0, 1, 0, None, None]
        # a unique index backs the check, whatever the timing: a second row for the attempt is refused
        with Session(store.engine) as session, pytest.raises(sa.exc.IntegrityError):
            row = session.get(Run, first)
            session.add(Run(**{c.key: getattr(row, c.key) for c in Run.__table__.columns if c.key != "id"}))
            session.commit()


def test_migration_numbers_the_attempts_of_earlier_runs(store_url):
    from matcher.app.store import upgrade

    engine = sa.create_engine(store_url)
    upgrade(engine, "0001")
    run = {"cohort_id": 1, "profiles_hash": "p", "job": "j", "rules": "{}", "history": "[]", "meta": "{}",
           "solver": "flow", "objective_name": "total", "objective": 1.0, "bound": 1.0, "status": "optimal",
           "timings": "{}", "matcher_version": "0", "adopted": False, "created_at": "2026-01-01 00:00:00"}
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO programmes (id, name) VALUES (1, 'p')"))
        connection.execute(sa.text("INSERT INTO cohorts (id, programme_id, name) VALUES (1, 1, 'c')"))
        for out_dir, digest in [("a", "h"), ("a", "h"), ("b", "h"), ("a", ""), ("a", "")]:
            columns = {**run, "out_dir": out_dir, "inputs_hash": digest}
            connection.execute(sa.text(f"INSERT INTO runs ({', '.join(columns)}) "
                                       f"VALUES ({', '.join(':' + c for c in columns)})"), columns)
    engine.dispose()
    with Store(store_url) as store:  # opening it migrates it
        assert [r.attempt for r in store.runs()] == [0, 1, 0, None, None]
    assert _schema_diff(store_url) == []


def test_processes_opening_and_writing_a_new_store_at_once(store_url, spring_cohort, spring_result):
    # the race two batches started together run: both migrate a new database, both add the
    # programme and cohort, both store the same profiles
    import threading

    start = threading.Barrier(4)
    ids, errors = [], []

    def write(n):
        try:
            start.wait()
            with Store(store_url) as store:
                ids.append(store.record(spring_result, cohort=spring_cohort, inputs_hash="h",
                                        out_dir=f"/out/{n % 2}", attempt=0))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and len(ids) == 4 and len(set(ids)) == 2
    with Store(store_url) as store:
        assert len(store.runs()) == 2
        assert [len(store.load_cohort(i).startups) for i in set(ids)] == [11, 11]
