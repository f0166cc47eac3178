"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from pipeline.migrate import head_revision, require_current, upgrade
from pipeline.models import Base
from pipeline.scheduler import JOBS_TABLE
from pipeline.search_index import is_search_object


def test_migrated_schema_matches_models(engine: Engine) -> None:
    require_current(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, Base.metadata) if not _apscheduler(d) and not _search(d)]
    assert diff == []


def _search(difference: tuple[object, ...]) -> bool:
    """The search index (pipeline.search_index) is built by SQL of its own, not from the models."""
    element = difference[1]
    return is_search_object(getattr(element, "name", None))


def _apscheduler(difference: tuple[object, ...]) -> bool:
    """APScheduler creates and owns its job table (and its index); it is not in our models."""
    element = difference[1]
    table = getattr(element, "table", element)
    return getattr(table, "name", None) == JOBS_TABLE


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert upgrade(engine) == (head_revision(), head_revision())
