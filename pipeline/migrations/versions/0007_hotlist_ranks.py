"""hot-list rank history: one row per entry per hot-list source

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pipeline.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hotlist_ranks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("first_seen", pipeline.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", pipeline.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("left_at", pipeline.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("on_list", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("peak_rank", sa.Integer(), nullable=False),
        sa.Column("heat", sa.Float(), nullable=True),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("alerted_at", pipeline.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_hotlist_ranks_source_id_sources"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_ranks")),
        sa.UniqueConstraint("source_id", "url", name="uq_hotlist_ranks_source_url"),
    )
    op.create_index(op.f("ix_hotlist_ranks_source_id"), "hotlist_ranks", ["source_id"])
    op.create_index(op.f("ix_hotlist_ranks_url"), "hotlist_ranks", ["url"])
    op.create_index(op.f("ix_hotlist_ranks_on_list"), "hotlist_ranks", ["on_list"])


def downgrade() -> None:
    op.drop_table("hotlist_ranks")
