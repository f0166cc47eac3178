"""forgotten URLs: the hashed URLs of posts retention deleted, so they are not stored again

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pipeline.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten_urls",
        sa.Column("url_hash", sa.String(length=32), nullable=False),
        sa.Column("forgotten_at", pipeline.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_forgotten_urls")),
    )


def downgrade() -> None:
    op.drop_table("forgotten_urls")
