"""Schema changes of the web UI, users and review area (empty until that area needs one).

Revision ID: 0005_ui
Revises: 0004_search
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_ui"
down_revision = "0004_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
