"""Schema changes of the operations area (empty until that area needs one).

Revision ID: 0006_ops
Revises: 0005_ui
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_ops"
down_revision = "0005_ui"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
