"""The history store: every run of every cohort, kept so the next cohort knows who met whom.

A :class:`Store` is a database reached through SQLAlchemy: SQLite by default (a ``matcher.db``
file beside the outputs), PostgreSQL or any other SQLAlchemy URL otherwise. Opening a store brings
its schema up to date with the Alembic migrations shipped in ``matcher/app/migrations``.

It holds programmes, cohorts, the startups and mentors of each cohort exactly as they were matched,
runs (the inputs hash, the rules, the solver, objective, bound, status and timings) and the pairs
each run assigned. That is enough to solve a run again from the database alone
(:meth:`Store.load_cohort`, the cohort as filed: matching screens it again), and to feed the
history rules of later cohorts:
:meth:`Store.history_for` gives past pairs as ``(cohort, startup_id, mentor_id)`` tuples for
``Cohort.history``, and :meth:`Store.mentor_load` how many startups each mentor
took in a year.

Which run of a cohort counts as its matching: the one marked adopted (:meth:`Store.adopt`), or
else the most recently recorded one.

Examples
--------
>>> import matcher
>>> from matcher.app.store import Store
>>> store = Store("sqlite://")                      # in memory; a file path or URL in practice
>>> cohort = matcher.load_cohort("data/spring-2026")
>>> result = matcher.match_cohort(cohort)             # 9 of the 11 startups are eligible
>>> run_id = store.record(result, cohort=cohort)
>>> store.run(run_id).status, len(store.pairs(run_id))
('optimal', 27)
>>> store.history_for("HK AI Lab Accelerator", before="2026-09-07")[0]
('spring-2026', 's-citysense', 'm-fatima-siddiqui')
"""

from __future__ import annotations

from matcher.app.store.migrate import alembic_config, upgrade
from matcher.app.store.schema import AssignmentRow, Base, CohortRow, MentorRow, Programme, Run, StartupRow
from matcher.app.store.serial import database_url, profiles_hash, rules_from_json, rules_to_json
from matcher.app.store.store import DEFAULT_PROGRAMME, RunRecord, Store

__all__ = [
    "Store",
    "RunRecord",
    "Base",
    "database_url",
    "rules_to_json",
    "rules_from_json",
    "profiles_hash",
    "DEFAULT_PROGRAMME",
    "alembic_config",
    "upgrade",
    "Programme",
    "CohortRow",
    "StartupRow",
    "MentorRow",
    "Run",
    "AssignmentRow",
]
