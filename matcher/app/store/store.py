"""The :class:`Store`: recording runs, and reading them back for history rules and re-solves."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matcher.app.store.engine import insert_new, make_engine
from matcher.app.store.migrate import upgrade
from matcher.app.store.schema import AssignmentRow, CohortRow, MentorRow, Programme, Run, StartupRow
from matcher.app.store.serial import (
    _jsonable,
    _meta_json,
    _preferences_from_json,
    _preferences_json,
    _profile_from_json,
    _profile_json,
    database_url,
    profiles_hash,
    rules_from_json,
    stored_date,
)
from matcher.data.models import Cohort, Mentor, Startup, rules_to_json
from matcher.data.values import iso_date
from matcher.errors import InputError, InputProblem

__all__ = ["Store", "RunRecord", "DEFAULT_PROGRAMME"]

#: Programme name used when a cohort's programme.yaml does not name one.
DEFAULT_PROGRAMME = "programme"


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
    attempt: int | None = None

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
        self.engine = make_engine(self.url)
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
               out_dir: str = "", adopt: bool = False, attempt: int | None = None) -> int:
        """Store a :class:`~matcher.pipeline.MatchResult` with its inputs; returns the run's id.

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
        attempt : int, optional
            Store the run at most once per ``(out_dir, inputs_hash, attempt)``: when that run is
            stored already (by an earlier, interrupted batch or a concurrent one), nothing is added
            and its id is returned. A batch passes 0, or for a job forced to run again the number
            of runs it has already. Without it the run is always added.

        Examples
        --------
        >>> import matcher
        >>> store = Store("sqlite://")
        >>> cohort = matcher.load_cohort("data/autumn-2026")
        >>> result = matcher.match_cohort(cohort)
        >>> once = dict(cohort=cohort, inputs_hash="abc", out_dir="/out/autumn", attempt=0)
        >>> store.record(result, **once), store.record(result, **once), len(store.runs())
        (1, 1, 1)
        """
        try:
            return self._record(result, cohort=cohort, inputs_hash=inputs_hash, job=job, out_dir=out_dir,
                                adopt=adopt, attempt=attempt)
        except sa.exc.IntegrityError:
            # a concurrent transaction stored the same attempt first (PostgreSQL; SQLite serialises)
            stored = None if attempt is None else self._attempt(out_dir, inputs_hash, attempt)
            if stored is None:
                raise
            return stored

    def _attempt(self, out_dir: str, inputs_hash: str, attempt: int, session: Session | None = None
                 ) -> int | None:
        """The id of the run stored for this attempt, if any."""
        query = sa.select(Run.id).where(Run.out_dir == str(out_dir), Run.inputs_hash == inputs_hash,
                                        Run.attempt == attempt)
        if session is not None:
            return session.scalar(query)
        with Session(self.engine) as session:
            return session.scalar(query)

    def _record(self, result: Any, *, cohort: Cohort | None, inputs_hash: str, job: str, out_dir: str,
                adopt: bool, attempt: int | None) -> int:
        from matcher import __version__

        cohort = _cohort_of(result, cohort)
        version = profiles_hash(cohort)
        a = result.assignment
        with Session(self.engine) as session, session.begin():
            if attempt is not None:
                # in the same transaction as the insert: stored once, however often it is asked
                stored = self._attempt(out_dir, inputs_hash, attempt, session)
                if stored is not None:
                    return stored
            row = self._cohort_row(session, cohort)
            _add_profiles(session, row.id, version, cohort)
            if adopt:
                session.execute(sa.update(Run).where(Run.cohort_id == row.id).values(adopted=False))
            run = Run(cohort_id=row.id, profiles_hash=version, job=job, inputs_hash=inputs_hash,
                      rules=rules_to_json(result.rules), history=_jsonable(cohort.history),
                      preferences=_preferences_json(getattr(cohort, "preferences", None)),
                      meta=_meta_json(cohort.meta),
                      solver=a.solver, objective_name=a.objective_name, objective=float(a.objective),
                      bound=float(a.bound), status=a.status,
                      timings={k: float(v) for k, v in a.timings.items()}, matcher_version=__version__,
                      out_dir=str(out_dir), adopted=adopt, created_at=dt.datetime.now(dt.timezone.utc),
                      attempt=attempt)
            session.add(run)
            session.flush()
            pairs = a.pairs
            _insert(session, AssignmentRow, [
                {"run_id": run.id, "startup_id": s, "mentor_id": m, "score": float(v)}
                for s, m, v in zip(pairs["startup_id"], pairs["mentor_id"], pairs["score"])])
            return run.id

    def _cohort_row(self, session: Session, cohort: Cohort) -> CohortRow:
        """The cohort's row (added if new), its programme's too, with the start date brought up to date."""
        programme_name = str(cohort.meta.get("programme") or DEFAULT_PROGRAMME)
        programme = self._get_or_add(session, Programme, name=programme_name)
        start = stored_date(cohort.meta.get("start_date"))
        row = self._get_or_add(session, CohortRow, programme_id=programme.id, name=cohort.name)
        if start is not None and row.start_date != start:
            row.start_date = start
        return row

    def adopt(self, run_id: int) -> None:
        """Mark a run as its cohort's matching: the one later cohorts' history rules read."""
        with Session(self.engine) as session, session.begin():
            run = self._run_row(session, run_id)
            session.execute(sa.update(Run).where(Run.cohort_id == run.cohort_id).values(adopted=False))
            run.adopted = True

    @staticmethod
    def _get_or_add(session: Session, model: type, **key: Any) -> Any:
        """The row with this unique key, added if missing; a concurrent process adding the same
        row at the same time is no error (the insert skips it, the select finds it)."""
        query = sa.select(model).filter_by(**key)
        row = session.scalars(query).one_or_none()
        if row is None:
            insert_new(session, model, [key])
            row = session.scalars(query).one()
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

    def find(self, inputs_hash: str, *, out_dir: str | None = None) -> RunRecord | None:
        """The latest run recorded with these inputs (and these outputs, if given), if any."""
        query = sa.select(sa.func.max(Run.id)).where(Run.inputs_hash == inputs_hash)
        if out_dir is not None:
            query = query.where(Run.out_dir == str(out_dir))
        with Session(self.engine) as session:
            run_id = session.scalar(query)
        return None if run_id is None else self.run(run_id)

    def count(self, inputs_hash: str, *, out_dir: str) -> int:
        """How many runs are stored with these inputs and outputs (a batch job's attempts)."""
        with Session(self.engine) as session:
            return session.scalar(sa.select(sa.func.count(Run.id)).where(
                Run.inputs_hash == inputs_hash, Run.out_dir == str(out_dir)))

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
            Ready for ``Cohort.history``: the pairs of each cohort's adopted run
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
            return iso_date(before)
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


def _cohort_of(result: Any, cohort: Cohort | None) -> Cohort:
    """The cohort as given to match_cohort: ``cohort``, or the result's when screening left none out."""
    if cohort is not None:
        return cohort
    if getattr(result, "screening", None) is not None and result.screening.excluded:
        raise InputError([InputProblem("Store.record", None, "cohort",
                                       "screening left startups out of this result",
                                       "pass the cohort as given to match_cohort: "
                                       "store.record(result, cohort=cohort)")])
    return result.cohort


def _add_profiles(session: Session, cohort_id: int, version: str, cohort: Cohort) -> None:
    """Store the cohort's startups and mentors, unless this version of them is stored already."""
    if session.scalar(sa.select(sa.func.count()).select_from(StartupRow).filter_by(
            cohort_id=cohort_id, profiles_hash=version)) > 0:
        return
    # one executemany per table: large cohorts are many rows; a concurrent process storing the
    # same version at once adds the same rows, skipped here
    insert_new(session, StartupRow, [
        {"cohort_id": cohort_id, "profiles_hash": version, "position": i, "startup_id": s.id,
         "name": s.name, "data": _profile_json(s)} for i, s in enumerate(cohort.startups)])
    insert_new(session, MentorRow, [
        {"cohort_id": cohort_id, "profiles_hash": version, "position": j, "mentor_id": m.id,
         "name": m.name, "kind": m.kind, "capacity": m.capacity, "data": _profile_json(m)}
        for j, m in enumerate(cohort.mentors)])


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
                     out_dir=run.out_dir, adopted=bool(run.adopted), created_at=created, n_pairs=int(n_pairs),
                     attempt=run.attempt)
