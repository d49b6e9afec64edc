"""The history store: every run of every cohort, kept so the next cohort knows who met whom.

A :class:`Store` is a database reached through SQLAlchemy: SQLite by default (a ``matcher.db``
file beside the outputs), PostgreSQL or any other SQLAlchemy URL otherwise. Opening a store brings
its schema up to date with the Alembic migrations shipped in ``matcher/migrations``.

It holds programmes, cohorts, the startups and mentors of each cohort exactly as they were matched,
runs (the inputs hash, the rules, the solver, objective, bound, status and timings) and the pairs
each run assigned. That is enough to solve a run again from the database alone
(:meth:`Store.load_cohort`, the cohort as filed: matching screens it again), and to feed the
history rules of later cohorts:
:meth:`Store.history_for` gives past pairs as ``(cohort, startup_id, mentor_id)`` tuples for
:attr:`matcher.data.models.Cohort.history`, and :meth:`Store.mentor_load` how many startups each mentor
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

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from matcher.data import models
from matcher.data.models import Cohort, Mentor, Rules, Startup, rules_to_json
from matcher.data.models import json_ready as _jsonable
from matcher.data.models import tuples_from_json as _tupled
from matcher.errors import InputError, InputProblem

__all__ = [
    "Store",
    "RunRecord",
    "Base",
    "database_url",
    "rules_to_json",
    "rules_from_json",
    "profiles_hash",
    "DEFAULT_PROGRAMME",
]

#: Programme name used when a cohort's programme.yaml does not name one.
DEFAULT_PROGRAMME = "programme"


# ---------------------------------------------------------------- schema

class Base(DeclarativeBase):
    """Declarative base of the store's tables (the migrations must yield exactly these)."""


class Programme(Base):
    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)


class CohortRow(Base):
    __tablename__ = "cohorts"
    __table_args__ = (sa.UniqueConstraint("programme_id", "name", name="uq_cohorts_programme_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    start_date: Mapped[dt.date | None] = mapped_column(sa.Date)


class StartupRow(Base):
    __tablename__ = "startups"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "profiles_hash", "startup_id",
                                          name="uq_startups_version_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id"))
    profiles_hash: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(sa.Integer)
    startup_id: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict] = mapped_column(sa.JSON)


class MentorRow(Base):
    __tablename__ = "mentors"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "profiles_hash", "mentor_id",
                                          name="uq_mentors_version_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id"))
    profiles_hash: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(sa.Integer)
    mentor_id: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(100))
    capacity: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[dict] = mapped_column(sa.JSON)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id"))
    profiles_hash: Mapped[str] = mapped_column(sa.String(64))
    job: Mapped[str] = mapped_column(sa.String(300), default="")
    inputs_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    rules: Mapped[dict] = mapped_column(sa.JSON)
    history: Mapped[list] = mapped_column(sa.JSON)
    preferences: Mapped[dict | None] = mapped_column(sa.JSON)
    meta: Mapped[dict] = mapped_column(sa.JSON)
    solver: Mapped[str] = mapped_column(sa.String(50))
    objective_name: Mapped[str] = mapped_column(sa.String(50))
    objective: Mapped[float] = mapped_column(sa.Double)
    bound: Mapped[float] = mapped_column(sa.Double)
    status: Mapped[str] = mapped_column(sa.String(20))
    timings: Mapped[dict] = mapped_column(sa.JSON)
    matcher_version: Mapped[str] = mapped_column(sa.String(50))
    out_dir: Mapped[str] = mapped_column(sa.Text, default="")
    adopted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


class AssignmentRow(Base):
    __tablename__ = "assignments"
    __table_args__ = (sa.UniqueConstraint("run_id", "startup_id", "mentor_id", name="uq_assignments_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    startup_id: Mapped[str] = mapped_column(sa.String(200))
    mentor_id: Mapped[str] = mapped_column(sa.String(200))
    score: Mapped[float] = mapped_column(sa.Double)


# ---------------------------------------------------------------- serialising inputs

def rules_from_json(values: Mapping[str, Any]) -> Rules:
    """The :class:`Rules` a stored run holds; a rule this version does not know is refused by name.

    >>> rules_from_json(rules_to_json(Rules(k=(2, 3), forbidden=(("s1", "m1"),)))).forbidden
    (('s1', 'm1'),)
    """
    known = {f.name for f in dataclasses.fields(Rules)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError([InputProblem("store", None, name, "is not a rule of this matcher version",
                                       "upgrade matcher to solve this run again") for name in unknown])
    return models.rules_from_json(values)


def _profile_json(profile: Startup | Mentor) -> dict[str, Any]:
    return {f.name: _jsonable(getattr(profile, f.name)) for f in dataclasses.fields(profile)}


def _profile_from_json(kind: type, data: Mapping[str, Any]) -> Startup | Mentor:
    values = {}
    for f in dataclasses.fields(kind):
        if f.name in data:
            v = data[f.name]
            values[f.name] = dict(v) if f.name == "attributes" else _tupled(v)
    return kind(**values)


def _preferences_json(prefs: Any) -> dict[str, Any] | None:
    if prefs is None:
        return None
    return {f.name: _jsonable(getattr(prefs, f.name)) for f in dataclasses.fields(prefs)}


def _preferences_from_json(values: Mapping[str, Any]) -> Any:
    from matcher.data.models import Preferences

    return Preferences(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _meta_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The cohort's programme settings that a re-solve reads (start date, eligibility, ...).

    File locations are left out: a run is solved again from the store alone.
    """
    out = {}
    for key, value in meta.items():
        if key in ("folder", "source_path", "preferences_path", "run_id", "screening"):
            continue
        try:
            json.dumps(_jsonable(value))
        except (TypeError, ValueError):
            continue  # not data (e.g. a screening object): a re-solve recomputes it
        out[str(key)] = _jsonable(value)
    return out


def profiles_hash(cohort: Cohort) -> str:
    """SHA-256 of the cohort's startups and mentors as stored (order matters: it sets the scores)."""
    document = {"startups": [_profile_json(s) for s in cohort.startups],
                "mentors": [_profile_json(m) for m in cohort.mentors]}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def database_url(target: str | os.PathLike) -> str:
    """A SQLAlchemy URL from a URL or a file path (a path means a SQLite file).

    >>> database_url("out/matcher.db")
    'sqlite:///out/matcher.db'
    >>> database_url("postgresql+psycopg://localhost/matcher")
    'postgresql+psycopg://localhost/matcher'
    """
    text = str(target)
    if "://" in text:
        return text
    return f"sqlite:///{text}"


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError([InputProblem("programme.yaml", None, "start_date", f"'{value}' is not a date",
                                       "write an ISO date such as 2026-09-07")]) from None


# ---------------------------------------------------------------- the store

@dataclass(frozen=True)
class RunRecord:
    """One stored run, as :meth:`Store.runs` lists it."""

    id: int
    programme: str
    cohort: str
    start_date: dt.date | None
    job: str
    inputs_hash: str
    rules: Mapping[str, Any]
    solver: str
    objective_name: str
    objective: float
    bound: float
    status: str
    timings: Mapping[str, float]
    matcher_version: str
    out_dir: str
    adopted: bool
    created_at: dt.datetime
    n_pairs: int

    @property
    def gap(self) -> float:
        """Relative distance between objective and bound (0.0: proven optimal)."""
        if not np.isfinite(self.bound):
            return float("inf")
        return abs(self.bound - self.objective) / max(abs(self.objective), 1e-9)


class Store:
    """A history database, migrated to the current schema when opened.

    Parameters
    ----------
    url : str or path
        A SQLAlchemy URL (``sqlite:///out/matcher.db``, ``postgresql+psycopg://host/db``) or the path
        of a SQLite file, created with its folder if missing.
    """

    def __init__(self, url: str | os.PathLike):
        self.url = database_url(url)
        self.engine = sa.create_engine(self.url)
        try:
            file = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
            if file not in (None, "", ":memory:"):
                Path(file).parent.mkdir(parents=True, exist_ok=True)
            upgrade(self.engine)
        except (sa.exc.OperationalError, OSError) as exc:
            self.engine.dispose()
            raise InputError([InputProblem(self.engine.url.render_as_string(hide_password=True), None, None,
                                           f"cannot open the history database: {getattr(exc, 'orig', exc)}",
                                           "check the --db URL and that the server is running")]) from None

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ writing

    def record(self, result: Any, *, cohort: Cohort | None = None, inputs_hash: str = "", job: str = "",
               out_dir: str = "", adopt: bool = False) -> int:
        """Store a :class:`~matcher.data.models.MatchResult` with its inputs; returns the new run's id.

        Parameters
        ----------
        result : MatchResult
        cohort : Cohort, optional
            The cohort as it was given to :func:`matcher.match_cohort`. Needed when eligibility
            screening left startups out (``result.cohort`` then holds only those matched, and the
            scores were computed over all of them); by default ``result.cohort``.
        inputs_hash, job, out_dir : str
            What the batch that made the run knows of it.
        adopt : bool
            Make this run its cohort's matching for later cohorts' history.
        """
        from matcher import __version__

        a = result.assignment
        if cohort is None:
            if getattr(result, "screening", None) is not None and result.screening.excluded:
                raise InputError([InputProblem("Store.record", None, "cohort",
                                               "screening left startups out of this result",
                                               "pass the cohort as given to match_cohort: "
                                               "store.record(result, cohort=cohort)")])
            cohort = result.cohort
        programme_name = str(cohort.meta.get("programme") or DEFAULT_PROGRAMME)
        version = profiles_hash(cohort)
        with Session(self.engine) as session, session.begin():
            programme = self._get_or_add(session, Programme, name=programme_name)
            row = session.scalars(sa.select(CohortRow).filter_by(programme_id=programme.id,
                                                                 name=cohort.name)).one_or_none()
            start = _date(cohort.meta.get("start_date"))
            if row is None:
                row = CohortRow(programme_id=programme.id, name=cohort.name, start_date=start)
                session.add(row)
                session.flush()
            elif start is not None:
                row.start_date = start
            if session.scalar(sa.select(sa.func.count()).select_from(StartupRow).filter_by(
                    cohort_id=row.id, profiles_hash=version)) == 0:
                # one executemany per table: large cohorts are many rows
                _insert(session, StartupRow, [
                    {"cohort_id": row.id, "profiles_hash": version, "position": i, "startup_id": s.id,
                     "name": s.name, "data": _profile_json(s)} for i, s in enumerate(cohort.startups)])
                _insert(session, MentorRow, [
                    {"cohort_id": row.id, "profiles_hash": version, "position": j, "mentor_id": m.id,
                     "name": m.name, "kind": m.kind, "capacity": m.capacity, "data": _profile_json(m)}
                    for j, m in enumerate(cohort.mentors)])
            if adopt:
                session.execute(sa.update(Run).where(Run.cohort_id == row.id).values(adopted=False))
            run = Run(cohort_id=row.id, profiles_hash=version, job=job, inputs_hash=inputs_hash,
                      rules=rules_to_json(result.rules), history=_jsonable(cohort.history),
                      preferences=_preferences_json(getattr(cohort, "preferences", None)),
                      meta=_meta_json(cohort.meta),
                      solver=a.solver, objective_name=a.objective_name, objective=float(a.objective),
                      bound=float(a.bound), status=a.status,
                      timings={k: float(v) for k, v in a.timings.items()}, matcher_version=__version__,
                      out_dir=str(out_dir), adopted=adopt, created_at=dt.datetime.now(dt.timezone.utc))
            session.add(run)
            session.flush()
            pairs = a.pairs
            _insert(session, AssignmentRow, [
                {"run_id": run.id, "startup_id": s, "mentor_id": m, "score": float(v)}
                for s, m, v in zip(pairs["startup_id"], pairs["mentor_id"], pairs["score"])])
            return run.id

    def adopt(self, run_id: int) -> None:
        """Mark a run as its cohort's matching: the one later cohorts' history rules read."""
        with Session(self.engine) as session, session.begin():
            run = self._run_row(session, run_id)
            session.execute(sa.update(Run).where(Run.cohort_id == run.cohort_id).values(adopted=False))
            run.adopted = True

    @staticmethod
    def _get_or_add(session: Session, model: type, **key: Any) -> Any:
        row = session.scalars(sa.select(model).filter_by(**key)).one_or_none()
        if row is None:
            row = model(**key)
            session.add(row)
            session.flush()
        return row

    # ------------------------------------------------------------ reading

    def _run_row(self, session: Session, run_id: int) -> Run:
        run = session.get(Run, run_id)
        if run is None:
            raise InputError([InputProblem(self.engine.url.render_as_string(hide_password=True), None,
                                           "run", f"has no run {run_id}",
                                           "list the runs with `matcher history`")])
        return run

    def runs(self, *, programme: str | None = None, cohort: str | None = None) -> list[RunRecord]:
        """Stored runs, oldest first, optionally of one programme and cohort."""
        return self._records(programme=programme, cohort=cohort)

    def _records(self, *, programme: str | None = None, cohort: str | None = None,
                 run_id: int | None = None) -> list[RunRecord]:
        query = (sa.select(Run, CohortRow, Programme, sa.func.count(AssignmentRow.id))
                 .join(CohortRow, Run.cohort_id == CohortRow.id)
                 .join(Programme, CohortRow.programme_id == Programme.id)
                 .outerjoin(AssignmentRow, AssignmentRow.run_id == Run.id)
                 .group_by(Run.id, CohortRow.id, Programme.id).order_by(Run.id))
        if programme is not None:
            query = query.where(Programme.name == programme)
        if cohort is not None:
            query = query.where(CohortRow.name == cohort)
        if run_id is not None:
            query = query.where(Run.id == run_id)
        with Session(self.engine) as session:
            return [_record(run, c, p, n) for run, c, p, n in session.execute(query)]

    def run(self, run_id: int) -> RunRecord:
        """One stored run."""
        with Session(self.engine) as session:
            self._run_row(session, run_id)
        return self._records(run_id=run_id)[0]

    def find(self, inputs_hash: str) -> RunRecord | None:
        """The latest run recorded with these inputs, if any."""
        with Session(self.engine) as session:
            run_id = session.scalar(sa.select(sa.func.max(Run.id)).where(Run.inputs_hash == inputs_hash))
        return None if run_id is None else self.run(run_id)

    def pairs(self, run_id: int) -> pd.DataFrame:
        """A run's pairs: columns ``startup_id``, ``mentor_id``, ``score``, in the order solved."""
        with Session(self.engine) as session:
            self._run_row(session, run_id)
            rows = session.execute(sa.select(AssignmentRow.startup_id, AssignmentRow.mentor_id,
                                             AssignmentRow.score)
                                   .where(AssignmentRow.run_id == run_id).order_by(AssignmentRow.id)).all()
        return pd.DataFrame(rows, columns=["startup_id", "mentor_id", "score"])

    def load_cohort(self, run_id: int) -> Cohort:
        """The cohort of a run exactly as it was matched: profiles, rules and history.

        ``matcher.match_cohort(store.load_cohort(run_id))`` solves the run again from the database
        alone.
        """
        with Session(self.engine) as session:
            run = self._run_row(session, run_id)
            cohort = session.get(CohortRow, run.cohort_id)
            programme = session.get(Programme, cohort.programme_id)
            key = {"cohort_id": run.cohort_id, "profiles_hash": run.profiles_hash}
            startups = session.scalars(sa.select(StartupRow).filter_by(**key).order_by(StartupRow.position))
            mentors = session.scalars(sa.select(MentorRow).filter_by(**key).order_by(MentorRow.position))
            extra = {"preferences": _preferences_from_json(run.preferences)} \
                if run.preferences is not None else {}
            return Cohort(
                startups=tuple(_profile_from_json(Startup, s.data) for s in startups),
                mentors=tuple(_profile_from_json(Mentor, m.data) for m in mentors),
                rules=rules_from_json(run.rules), name=cohort.name,
                history=tuple(tuple(h) for h in run.history),
                meta={**run.meta, "programme": programme.name, "cohort": cohort.name, "run_id": run.id},
                **extra,
            )

    def _matchings(self, session: Session, programme: str) -> list[tuple[CohortRow, Run]]:
        """Each cohort of a programme with the run that counts as its matching."""
        cohorts = session.scalars(sa.select(CohortRow).join(Programme).where(Programme.name == programme)
                                  .order_by(CohortRow.start_date, CohortRow.name)).all()
        out = []
        for cohort in cohorts:
            run = session.scalars(sa.select(Run).where(Run.cohort_id == cohort.id)
                                  .order_by(Run.adopted.desc(), Run.id.desc()).limit(1)).first()
            if run is not None:
                out.append((cohort, run))
        return out

    def history_for(self, programme: str, *, before: str | dt.date | None = None
                    ) -> tuple[tuple[str, str, str], ...]:
        """Past pairs of a programme as ``(cohort, startup_id, mentor_id)`` tuples, sorted.

        Parameters
        ----------
        programme : str
            The programme's name.
        before : cohort name, date or ISO date string, optional
            Only cohorts that started before this date (or before this stored cohort's start).
            ``None`` gives every stored cohort.

        Returns
        -------
        tuple of (str, str, str)
            Ready for :attr:`matcher.data.models.Cohort.history`: the pairs of each cohort's adopted run
            (or its latest run when none is adopted).
        """
        with Session(self.engine) as session:
            cutoff = self._cutoff(session, programme, before)
            pairs = set()
            for cohort, run in self._matchings(session, programme):
                if cutoff is not None and (cohort.start_date is None or cohort.start_date >= cutoff):
                    continue
                for s, m in session.execute(sa.select(AssignmentRow.startup_id, AssignmentRow.mentor_id)
                                            .where(AssignmentRow.run_id == run.id)):
                    pairs.add((cohort.name, s, m))
        return tuple(sorted(pairs))

    def _cutoff(self, session: Session, programme: str, before: str | dt.date | None) -> dt.date | None:
        if before is None or isinstance(before, dt.date):
            return before
        stored = session.scalars(sa.select(CohortRow).join(Programme).where(
            Programme.name == programme, CohortRow.name == before)).one_or_none()
        if stored is not None:
            if stored.start_date is None:
                raise InputError([InputProblem("store", None, "before",
                                               f"cohort '{before}' has no start date",
                                               "give start_date in its programme.yaml, or pass a date")])
            return stored.start_date
        try:
            return dt.date.fromisoformat(before)
        except ValueError:
            raise InputError([InputProblem("store", None, "before",
                                           f"'{before}' is neither a stored cohort of '{programme}' "
                                           "nor a date",
                                           "pass a cohort name or an ISO date")]) from None

    def mentor_load(self, programme: str, year: int, *, exclude: str | None = None) -> dict[str, int]:
        """Startups each mentor took in cohorts of ``programme`` that started in ``year``.

        Counts the pairs of each cohort's adopted (or latest) run; ``exclude`` leaves out one cohort
        (the one being matched). Mentors without any pair that year are absent.
        """
        load: dict[str, int] = {}
        with Session(self.engine) as session:
            for cohort, run in self._matchings(session, programme):
                if cohort.start_date is None or cohort.start_date.year != year or cohort.name == exclude:
                    continue
                for (m,) in session.execute(sa.select(AssignmentRow.mentor_id)
                                            .where(AssignmentRow.run_id == run.id)):
                    load[m] = load.get(m, 0) + 1
        return dict(sorted(load.items()))


def _insert(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(sa.insert(model), rows)


def _record(run: Run, cohort: CohortRow, programme: Programme, n_pairs: int) -> RunRecord:
    created = run.created_at
    if created.tzinfo is None:  # SQLite keeps no zone; we always write UTC
        created = created.replace(tzinfo=dt.timezone.utc)
    return RunRecord(id=run.id, programme=programme.name, cohort=cohort.name, start_date=cohort.start_date,
                     job=run.job, inputs_hash=run.inputs_hash, rules=run.rules, solver=run.solver,
                     objective_name=run.objective_name, objective=run.objective, bound=run.bound,
                     status=run.status, timings=run.timings, matcher_version=run.matcher_version,
                     out_dir=run.out_dir, adopted=bool(run.adopted), created_at=created, n_pairs=int(n_pairs))


# ---------------------------------------------------------------- migrations

def alembic_config(connection: sa.Connection | None = None) -> Any:
    """An Alembic configuration for the migrations shipped with matcher."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply the migrations to ``engine``'s database up to ``revision``."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
