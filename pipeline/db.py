"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite gets WAL mode, a busy timeout and foreign keys on every connection. Opening
the database turns the usual failures (corrupt file, server refusing connections,
read-only folder) into `StorageError` with one line that names the problem.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config
from pipeline.exceptions import DatabaseNotReady, StorageError

log = logging.getLogger(__name__)

# Bulk inserts touch index pages all over the url and content-hash indexes; the default
# 2 MB page cache makes each of them a read. Memory is only used as pages are cached.
SQLITE_CACHE_KIB = 32 * 1024


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _prepare_sqlite_file(path: Path) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data folder {folder}: {exc.strerror or exc}") from None
    import os

    if not os.access(folder, os.W_OK):
        raise StorageError(f"the data folder {folder} is read-only; SQLite needs to write the database "
                           "and its journal there (change storage.url or the folder's permissions)")
    if path.exists() and not os.access(path, os.W_OK):
        raise StorageError(f"the database file {path} is read-only")


def make_engine(url: str, *, busy_timeout_s: float = 30, pool_size: int = 5, echo: bool = False,
                create: bool = True) -> Engine:
    """Build an engine for ``url`` and check that the database answers.

    ``create=False``: a SQLite file that does not exist is an error (`DatabaseNotReady`) rather than
    an empty file left behind by a command that then fails for want of tables."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"storage.url {url!r} is not a database URL") from None
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_path(url)
        if path is not None and not create and not path.exists():
            raise DatabaseNotReady(f"no database at {path}; run `yuqing db upgrade` (or `yuqing init`) to create it")
        if path is not None:
            _prepare_sqlite_file(path)
        kwargs["connect_args"] = {"timeout": busy_timeout_s, "check_same_thread": False}
    elif backend == "postgresql":
        if parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        kwargs.update(pool_size=pool_size, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        _install_sqlite_pragmas(engine, busy_timeout_s)
    check_connection(engine)
    return engine


def _install_sqlite_pragmas(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy, not the sqlite3 module, manage transactions (BEGIN below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            cur.execute("PRAGMA foreign_keys = ON")
            mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode and mode[0] != "wal" and mode[0] != "memory":
                log.warning("SQLite refused WAL mode (journal_mode=%s)", mode[0])
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def describe_db_error(exc: BaseException, url: str) -> str:
    """One line for a database failure, naming the database without its password."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = url
    orig = getattr(exc, "orig", exc)
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if isinstance(orig, sqlite3.DatabaseError) and "not a database" in message:
        return f"{shown}: the file is not a SQLite database (corrupt, or another kind of file)"
    if isinstance(orig, sqlite3.OperationalError) and "readonly" in message.replace("-", ""):
        return f"{shown}: the database is read-only ({message})"
    if isinstance(orig, sqlite3.OperationalError) and "locked" in message:
        return f"{shown}: the database is locked by another process ({message})"
    if "Connection refused" in message or "connection failed" in message:
        return f"{shown}: the server refuses connections; is PostgreSQL running? ({message})"
    if "disk is full" in message or "No space left" in message:
        return f"{shown}: the disk is full ({message})"
    return f"{shown}: {message}"


def check_connection(engine: Engine) -> None:
    """Open one connection and read from the database; raise `StorageError` if that fails."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master" if engine.dialect.name == "sqlite"
                              else "SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise StorageError(describe_db_error(exc, url)) from None


def engine_from_config(config: Config, *, create: bool = True) -> Engine:
    return make_engine(config.database_url, busy_timeout_s=config.storage.busy_timeout_s,
                       pool_size=config.storage.pool_size, create=create)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def upsert_into(session: Session, entity: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``entity`` that takes ``on_conflict_do_nothing`` / ``on_conflict_do_update``,
    in the dialect of the session's database (both dialects spell ON CONFLICT alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)
