"""E-mail alerts: subscriptions of saved searches and the digests waiting to be sent.

Revision ID: 0012_alerts
Revises: 0011_harden
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_alerts"
down_revision = "0011_harden"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("seen_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_searches.id"],
            name=op.f("fk_alert_subscriptions_saved_search_id_saved_searches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("saved_search_id", name=op.f("pk_alert_subscriptions")),
    )
    op.create_table(
        "alert_digests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("doc_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_digests")),
    )
    op.create_index(op.f("ix_alert_digests_saved_search_id"), "alert_digests", ["saved_search_id"])
    op.create_index(op.f("ix_alert_digests_sent_at"), "alert_digests", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_digests_sent_at"), table_name="alert_digests")
    op.drop_index(op.f("ix_alert_digests_saved_search_id"), table_name="alert_digests")
    op.drop_table("alert_digests")
    op.drop_table("alert_subscriptions")
