"""The substring index over posts' title and text, on both databases (issue #20).

The index holds the *processed* posts: a post enters it when ``yuqing process`` marks it
processed, so storing new posts (crawls, imports: the hot path) costs nothing more, and a
post's text is indexed once, by the database, in the transaction that processes it. Searches
find the few posts still waiting by a scan of the unprocessed-posts index
(`pipeline.store.search`).

PostgreSQL: ``pg_trgm`` GIN indexes on ``posts.title`` and ``posts.text``, partial
(``WHERE processed_at IS NOT NULL``); ``ILIKE '%…%'`` and regular expressions use them when the
pattern has a run of three characters. The extension ships with Debian's PostgreSQL and is
*trusted* (PostgreSQL >= 13): a role that may create objects in the database may create it.
Where the role may not, the indexes are left out, searches still work (by scanning) and a
warning says what a superuser must run.

SQLite: an FTS5 table with the ``trigram`` tokenizer (SQLite >= 3.34) over the posts table
(external content: the text is stored once, in ``posts``; ``detail=none``, the smallest index,
as substring queries go through ``LIKE``), kept in step by triggers: a post enters when it
becomes processed, leaves when it is deleted (retention) or re-queued, and is re-indexed when
its title or text changes while processed. There is no trigger on insert (it would cost 5-15 %
of the insert speed): yuqing never stores a post as processed; a tool that does (a restore)
rebuilds the index with :func:`drop_search_index` and :func:`ensure_search_index`.

Migration 0009 builds the index; `pipeline.migrate.upgrade` calls :func:`ensure_search_index`
on every run, so after a superuser has created the extension ``yuqing db upgrade`` builds the
indexes that were left out. These objects are not in the models: the schema test leaves them
(:func:`is_search_object`) out of its comparison.
"""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

FTS_TABLE = "posts_fts"
PG_INDEXES = {"ix_posts_title_trgm": "title", "ix_posts_text_trgm": "text"}
_ADD = f"INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text);"
_REMOVE = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);"
_FTS_TRIGGERS = {
    "posts_fts_processed": f"""CREATE TRIGGER IF NOT EXISTS posts_fts_processed AFTER UPDATE OF processed_at ON posts
        WHEN old.processed_at IS NULL AND new.processed_at IS NOT NULL BEGIN {_ADD} END""",
    "posts_fts_requeued": f"""CREATE TRIGGER IF NOT EXISTS posts_fts_requeued AFTER UPDATE OF processed_at ON posts
        WHEN old.processed_at IS NOT NULL AND new.processed_at IS NULL BEGIN {_REMOVE} END""",
    "posts_fts_edited": f"""CREATE TRIGGER IF NOT EXISTS posts_fts_edited AFTER UPDATE OF title, text ON posts
        WHEN old.processed_at IS NOT NULL AND new.processed_at IS NOT NULL
             AND (old.title IS NOT new.title OR old.text IS NOT new.text) BEGIN {_REMOVE} {_ADD} END""",
    "posts_fts_deleted": f"""CREATE TRIGGER IF NOT EXISTS posts_fts_deleted AFTER DELETE ON posts
        WHEN old.processed_at IS NOT NULL BEGIN {_REMOVE} END""",
}
NO_EXTENSION = ("the pg_trgm extension is not installed and this database role may not create it, so searches "
                "over all dates scan every post. A superuser should run `CREATE EXTENSION pg_trgm;` in this "
                "database; then `yuqing db upgrade` builds the search indexes")


def is_search_object(name: object) -> bool:
    """A table or index of the search index (not in the models)."""
    return isinstance(name, str) and (name == FTS_TABLE or name.startswith(FTS_TABLE + "_") or name in PG_INDEXES)


def ensure_search_index(conn: Connection) -> bool:
    """Create what is missing of the search index; True when the index exists afterwards."""
    if conn.dialect.name == "postgresql":
        return _ensure_postgres(conn)
    if conn.dialect.name == "sqlite":
        return _ensure_sqlite(conn)
    return False


def drop_search_index(conn: Connection) -> None:
    """Remove the index (migration 0009's downgrade; before a bulk load that re-creates it)."""
    if conn.dialect.name == "postgresql":
        for name in PG_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    elif conn.dialect.name == "sqlite":
        for name in _FTS_TRIGGERS:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        conn.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


def _ensure_postgres(conn: Connection) -> bool:
    if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first() is None:
        savepoint = conn.begin_nested()
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            savepoint.commit()
        except DBAPIError as exc:
            savepoint.rollback()
            log.warning("%s (%s)", NO_EXTENSION, str(getattr(exc, "orig", exc)).strip().splitlines()[0])
            return False
    for name, column in PG_INDEXES.items():
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON posts USING gin ({column} gin_trgm_ops) "
                          "WHERE processed_at IS NOT NULL"))
    return True


def _ensure_sqlite(conn: Connection) -> bool:
    exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"),
                          {"n": FTS_TABLE}).first() is not None
    if not exists:
        if sqlite3.sqlite_version_info < (3, 34, 0):
            log.warning("SQLite %s has no FTS5 trigram tokenizer (3.34 or newer has): searches over all dates "
                        "scan every post", sqlite3.sqlite_version)
            return False
        try:
            conn.execute(text(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, text, content='posts', "
                              "content_rowid='id', tokenize='trigram', detail='none')"))
        except DBAPIError as exc:  # a SQLite built without FTS5
            log.warning("cannot create the search index (%s): searches over all dates scan every post",
                        str(getattr(exc, "orig", exc)).strip())
            return False
        conn.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, title, text) "
                          "SELECT id, title, text FROM posts WHERE processed_at IS NOT NULL"))
    for ddl in _FTS_TRIGGERS.values():
        conn.execute(text(ddl))
    return True
