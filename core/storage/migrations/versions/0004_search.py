"""Schema changes of the search area (empty until that area needs one).

Revision ID: 0004_search
Revises: 0003_analysis
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_search"
down_revision = "0003_analysis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
