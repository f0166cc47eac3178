"""Alembic environment: runs on the connection that `pipeline.migrate` hands over."""

from __future__ import annotations

from alembic import context

from pipeline.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `yuqing db upgrade` (pipeline.migrate), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
