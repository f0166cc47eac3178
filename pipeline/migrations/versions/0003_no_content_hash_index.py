"""drop the unused index on posts.content_hash

Posts are de-duplicated by URL (a post without one gets a content URN as its URL), and the
content hash is only compared for a URL already found, so no query needs this index. Its
random keys halved the speed of bulk inserts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_index("ix_posts_content_hash")


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.create_index("ix_posts_content_hash", ["content_hash"], unique=False)
