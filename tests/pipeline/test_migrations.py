"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from pipeline.migrate import head_revision, require_current, upgrade
from pipeline.models import Base


def test_migrated_schema_matches_models(engine: Engine) -> None:
    require_current(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, Base.metadata)
                if not (d[0] == "remove_table" and d[1].name == "apscheduler_jobs")]
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert upgrade(engine) == (head_revision(), head_revision())
