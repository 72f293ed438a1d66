"""Schema changes of the operations area: watch leases, the stage-run log and persisted metrics.

Revision ID: 0006_ops
Revises: 0005_ui
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ops"
down_revision = "0005_ui"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watch_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "watch_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_runs")),
    )
    with op.batch_alter_table("watch_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watch_runs_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_watch_runs_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_watch_runs_status"), ["status"], unique=False)

    op.create_table(
        "ops_metrics",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("labels", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", "labels", name=op.f("pk_ops_metrics")),
    )


def downgrade() -> None:
    op.drop_table("ops_metrics")
    with op.batch_alter_table("watch_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watch_runs_status"))
        batch_op.drop_index(batch_op.f("ix_watch_runs_stage"))
        batch_op.drop_index(batch_op.f("ix_watch_runs_source_id"))
    op.drop_table("watch_runs")
    with op.batch_alter_table("watch_state", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("last_status")
