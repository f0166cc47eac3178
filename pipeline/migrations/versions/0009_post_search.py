"""post search: trigram indexes over posts' title and text (pg_trgm GIN / SQLite FTS5 trigram)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from pipeline.search_index import drop_search_index, ensure_search_index

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_search_index(op.get_bind())


def downgrade() -> None:
    drop_search_index(op.get_bind())
