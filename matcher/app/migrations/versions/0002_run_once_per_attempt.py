"""A batch job's run is stored once per attempt: ``runs.attempt`` and a unique index.

A batch killed after storing a run but before writing the job's ``job.json`` used to store the
run again when resumed, and two batches of the same job file stored a job twice. The batch now
records each run under (its out folder, its inputs hash, attempt): attempt 0 for a job run once,
1, 2, ... for runs forced again with the same inputs. The unique index makes a second store of the
same attempt impossible, whatever the timing; runs recorded outside a batch have no attempt.

Existing runs with an inputs hash get their attempts in the order they were stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("out_dir", sa.Text),
                 sa.column("inputs_hash", sa.String), sa.column("attempt", sa.Integer))


def upgrade() -> None:
    op.add_column("runs", sa.Column("attempt", sa.Integer(), nullable=True))
    bind = op.get_bind()
    seen: dict[tuple[str, str], int] = {}
    rows = bind.execute(sa.select(_runs.c.id, _runs.c.out_dir, _runs.c.inputs_hash)
                        .where(_runs.c.inputs_hash != "").order_by(_runs.c.id)).all()
    for run_id, out_dir, inputs_hash in rows:
        attempt = seen.get((out_dir, inputs_hash), 0)
        seen[(out_dir, inputs_hash)] = attempt + 1
        bind.execute(sa.update(_runs).where(_runs.c.id == run_id).values(attempt=attempt))
    op.create_index("uq_runs_job_attempt", "runs", ["out_dir", "inputs_hash", "attempt"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_runs_job_attempt", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("attempt")
