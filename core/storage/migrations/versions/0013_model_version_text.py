"""Analyses: `model_version` becomes unbounded text.

A model set whose tasks are not all at one version (one task promoted or rolled back alone) names itself
`task:version,...` (`ModelSet.version`), about 170 characters for six tasks: PostgreSQL refused it in the
80-character column (SQLite does not enforce lengths, so it went unseen).

Revision ID: 0013_model_version_text
Revises: 0012_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_model_version_text"
down_revision = "0012_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.alter_column(
            "model_version", existing_type=sa.String(length=80), type_=sa.Text(), existing_nullable=True
        )


def downgrade() -> None:
    # Longer values would not fit back: keep their first 80 characters.
    op.execute(
        "UPDATE analyses SET model_version = substr(model_version, 1, 80) WHERE length(model_version) > 80"
    )
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.alter_column(
            "model_version", existing_type=sa.Text(), type_=sa.String(length=80), existing_nullable=True
        )
