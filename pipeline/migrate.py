"""Schema migrations (Alembic), applied by `yuqing db upgrade` and `yuqing init`."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from pipeline.db import describe_db_error
from pipeline.exceptions import DatabaseNotReady, StorageError
from pipeline.search_index import ensure_search_index

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads ({heads}); merge them")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except (OperationalError, DBAPIError) as exc:
        raise StorageError(describe_db_error(exc, engine.url.render_as_string(hide_password=False))) from None


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to ``revision``; returns (revision before, revision after)."""
    before = current_revision(engine)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            if revision == "head":  # builds what a role lacking pg_trgm had to leave out, once it may
                ensure_search_index(conn)
    except (OperationalError, DBAPIError) as exc:
        raise StorageError(describe_db_error(exc, engine.url.render_as_string(hide_password=False))) from None
    after = current_revision(engine)
    log.info("database migrated", extra={"before": before, "after": after})
    return before, after or ""


def require_current(engine: Engine) -> None:
    """Raise `DatabaseNotReady` unless the schema is at the newest migration."""
    current = current_revision(engine)
    head = head_revision()
    if current is None:
        raise DatabaseNotReady("the database has no yuqing tables yet; run `yuqing db upgrade` (or `yuqing init`)")
    if current != head:
        raise DatabaseNotReady(f"the database schema is at {current}, the code expects {head}; "
                               "run `yuqing db upgrade`")
