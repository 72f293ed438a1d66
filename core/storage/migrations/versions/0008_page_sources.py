"""Pages keep where their title and date came from (title_source, date_source), shown to reviewers.

Revision ID: 0008_page_sources
Revises: 0007_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_page_sources"
down_revision = "0007_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_source", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("date_source", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("date_source")
        batch_op.drop_column("title_source")
