"""Schema changes of the crawler area (empty until that area needs one).

Revision ID: 0002_crawler
Revises: 0001_initial
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0002_crawler"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
