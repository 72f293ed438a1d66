"""Page ids from the courlan canonicalisation (Matomo, Piwik, Microsoft, Instagram... trackers dropped).

Re-keys stored pages in this migration's transaction and merges pages that now share a canonical URL
(core.storage.page_ids); `page_id_moves` records every old id, what a merge set aside, and whether the old
id was removed from the search index (done by the next `vigie index`, which the watch runs).

Revision ID: 0009_page_ids
Revises: 0008_page_sources
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_page_ids"
down_revision = "0008_page_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_id_moves",
        sa.Column("old_id", sa.String(length=64), nullable=False),
        sa.Column("new_id", sa.String(length=64), nullable=False),
        sa.Column("old_canonical_url", sa.Text(), nullable=True),
        sa.Column("merged", sa.JSON(), nullable=True),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unindexed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("old_id", name=op.f("pk_page_id_moves")),
    )
    with op.batch_alter_table("page_id_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_id_moves_new_id"), ["new_id"], unique=False)

    from core.storage.page_ids import rekey_pages

    rekey_pages(op.get_bind())


def downgrade() -> None:
    # Ids are not moved back: the old rule kept trackers, and merged pages stay merged (see `merged`).
    with op.batch_alter_table("page_id_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_id_moves_new_id"))
    op.drop_table("page_id_moves")
