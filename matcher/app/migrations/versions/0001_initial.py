"""The first schema: programmes, cohorts, startups, mentors, runs and assignments.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("programmes.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.UniqueConstraint("programme_id", "name", name="uq_cohorts_programme_name"),
    )
    op.create_table(
        "startups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cohort_id", sa.Integer(), sa.ForeignKey("cohorts.id"), nullable=False),
        sa.Column("profiles_hash", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("startup_id", sa.String(200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("cohort_id", "profiles_hash", "startup_id", name="uq_startups_version_id"),
    )
    op.create_table(
        "mentors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cohort_id", sa.Integer(), sa.ForeignKey("cohorts.id"), nullable=False),
        sa.Column("profiles_hash", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.String(200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("cohort_id", "profiles_hash", "mentor_id", name="uq_mentors_version_id"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cohort_id", sa.Integer(), sa.ForeignKey("cohorts.id"), nullable=False),
        sa.Column("profiles_hash", sa.String(64), nullable=False),
        sa.Column("job", sa.String(300), nullable=False),
        sa.Column("inputs_hash", sa.String(64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("solver", sa.String(50), nullable=False),
        sa.Column("objective_name", sa.String(50), nullable=False),
        sa.Column("objective", sa.Double(), nullable=False),
        sa.Column("bound", sa.Double(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("matcher_version", sa.String(50), nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=False),
        sa.Column("adopted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_runs_inputs_hash", "runs", ["inputs_hash"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("startup_id", sa.String(200), nullable=False),
        sa.Column("mentor_id", sa.String(200), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.UniqueConstraint("run_id", "startup_id", "mentor_id", name="uq_assignments_pair"),
    )
    op.create_index("ix_assignments_run_id", "assignments", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_assignments_run_id", table_name="assignments")
    op.drop_table("assignments")
    op.drop_index("ix_runs_inputs_hash", table_name="runs")
    op.drop_table("runs")
    op.drop_table("mentors")
    op.drop_table("startups")
    op.drop_table("cohorts")
    op.drop_table("programmes")
