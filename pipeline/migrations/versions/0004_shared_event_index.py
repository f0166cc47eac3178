"""shared event index: posts carry their event ticket and MinHash; one event clock row;
events remember when their statistics were refreshed

Several `yuqing process` workers must put a post into the same event whichever of them
analyses it. Batches now assign events one at a time, in the order of a ticket taken
from `event_clock`, and each post keeps its ticket (`event_seq`), MinHash signature and
content-word count, so every worker applies the others' posts to its own index in that
order without analysing them again. A large event's statistics are refreshed at most once a minute
(`events.refreshed_at`, `events.stale`): recomputing them from all its posts on every batch made
processing slow down as events grew.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pipeline.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("event_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("minhash", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("word_count", sa.Integer(), nullable=True))
        batch_op.create_index("ix_posts_event_seq", ["event_seq"], unique=False)
    clock = op.create_table(
        "event_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_clock")),
    )
    op.bulk_insert(clock, [{"id": 1, "seq": 0}])
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("refreshed_at", pipeline.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("stale", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("stale")
        batch_op.drop_column("refreshed_at")
    op.drop_table("event_clock")
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_index("ix_posts_event_seq")
        batch_op.drop_column("word_count")
        batch_op.drop_column("minhash")
        batch_op.drop_column("event_seq")
