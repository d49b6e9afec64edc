"""The tables of the history store, as SQLAlchemy declarative classes.

The Alembic migrations in ``matcher/app/migrations`` must yield exactly these tables (a test
compares them).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Programme", "CohortRow", "StartupRow", "MentorRow", "Run", "AssignmentRow"]


class Base(DeclarativeBase):
    """Declarative base of the store's tables (the migrations must yield exactly these)."""


class Programme(Base):
    """A programme (an accelerator), by name."""

    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)


class CohortRow(Base):
    """A cohort of a programme: its name, start date and the run adopted as its matching."""

    __tablename__ = "cohorts"
    __table_args__ = (sa.UniqueConstraint("programme_id", "name", name="uq_cohorts_programme_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    start_date: Mapped[dt.date | None] = mapped_column(sa.Date)


class StartupRow(Base):
    """A startup's profile as a cohort filed it."""

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
    """A mentor's profile as a cohort filed it."""

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
    """One matching run: its inputs (rules, hash), its proof and where its files are."""

    __tablename__ = "runs"
    # a batch job's run is stored once per attempt: (its out folder, its inputs, attempt) is unique;
    # runs recorded outside a batch have no attempt (NULL) and are not limited
    __table_args__ = (sa.Index("uq_runs_job_attempt", "out_dir", "inputs_hash", "attempt", unique=True),)
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
    attempt: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)


class AssignmentRow(Base):
    """One pair of a run, with its score."""

    __tablename__ = "assignments"
    __table_args__ = (sa.UniqueConstraint("run_id", "startup_id", "mentor_id", name="uq_assignments_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    startup_id: Mapped[str] = mapped_column(sa.String(200))
    mentor_id: Mapped[str] = mapped_column(sa.String(200))
    score: Mapped[float] = mapped_column(sa.Double)
