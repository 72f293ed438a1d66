"""Schema changes of the analysis area (empty until that area needs one).

Revision ID: 0003_analysis
Revises: 0002_crawler
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_analysis"
down_revision = "0002_crawler"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
