"""Fast bulk inserts of new posts: the hot path of every crawl and import.

SQLAlchemy's per-row type processing costs more than the database itself here, so new
posts go to the driver directly: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. The
values are converted exactly as the SQLAlchemy column types would convert them (UTC
times in SQLite's text format, JSON text), so every other query reads them back as usual.
A URL inserted concurrently by another worker between our check and our write is not
an error: SQLite skips it (ON CONFLICT DO NOTHING); PostgreSQL's COPY cannot, so that
batch falls back to an ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.errors import UniqueViolation
from sqlalchemy import CursorResult
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from pipeline.models import Post

COLUMNS = ("source_id", "url", "content_hash", "title", "text", "author", "published_at", "fetched_at",
           "thread_url", "floor", "extra")
_SQLITE_INSERT = (f"INSERT INTO posts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
                  "ON CONFLICT (url) DO NOTHING")
_EMPTY_JSON = "{}"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def rows_where_in(session: Session, select_from: str, column: str,
                  values: Sequence[Any]) -> CursorResult[*tuple[Any, ...]]:
    """The rows of ``select_from`` (``"SELECT … FROM table"``) whose ``column`` is one of ``values``
    (at most a batch of them), in plain driver SQL: ``= ANY(%s)`` on PostgreSQL, ``IN (?, …)`` on
    SQLite. Compiling an expanding ``IN`` of a thousand parameters in SQLAlchemy costs more than
    the lookup itself."""
    conn = session.connection()
    if _is_postgres(session):
        return conn.exec_driver_sql(f"{select_from} WHERE {column} = ANY(%s)", (list(values),))
    return conn.exec_driver_sql(f"{select_from} WHERE {column} IN ({', '.join('?' * len(values))})",
                                tuple(values))


def existing_posts(session: Session, urls: Sequence[str]) -> dict[str, tuple[int, str]]:
    """``url -> (id, content_hash)`` of the stored posts among ``urls`` (at most a batch of them)."""
    if not urls:
        return {}
    found = rows_where_in(session, "SELECT id, url, content_hash FROM posts", "url", urls)
    return {url: (id_, digest) for id_, url, digest in found}


def _sqlite_time(value: datetime | None, seen: dict[datetime, str]) -> str | None:
    """The text SQLAlchemy's SQLite DATETIME stores for an aware time, in UTC.

    ``seen`` remembers conversions within a batch, whose posts mostly share one fetch time.
    """
    if value is None:
        return None
    text = seen.get(value)
    if text is None:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: yuqing stores timezone-aware times only")
        text = seen[value] = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return text


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False) if value else _EMPTY_JSON


def insert_new_posts(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows (dicts keyed by `COLUMNS`); returns the ids of the rows actually inserted."""
    if not rows:
        return []
    conn = session.connection()
    urls = [r["url"] for r in rows]
    if _is_postgres(session):
        _copy_postgres(session, rows)
        # The caller checked these URLs were new; a concurrent writer's copy of one would be
        # counted here too, which only shifts a count, never stores anything twice.
        return list(rows_where_in(session, "SELECT id FROM posts", "url", urls).scalars())
    seen: dict[datetime, str] = {}
    values = [(r["source_id"], r["url"], r["content_hash"], r["title"], r["text"], r["author"],
               _sqlite_time(r["published_at"], seen), _sqlite_time(r["fetched_at"], seen), r["thread_url"],
               r["floor"], _json(r["extra"])) for r in rows]
    raw = conn.connection.driver_connection
    assert raw is not None, "a live SQLite connection"
    before = raw.total_changes
    conn.exec_driver_sql(_SQLITE_INSERT, values)
    if raw.total_changes - before == len(rows):
        # Every row went in while this transaction holds SQLite's single write lock, so
        # their rowids are consecutive (max + 1 each) and end at the last one inserted.
        last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
        return list(range(last - len(rows) + 1, last + 1))
    return list(rows_where_in(session, "SELECT id FROM posts", "url", urls).scalars())


def _check_aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: yuqing stores timezone-aware times only")
    return value


def _copy_postgres(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    try:
        with session.begin_nested():
            raw = session.connection().connection.driver_connection
            assert raw is not None, "a live PostgreSQL connection"
            with raw.cursor() as cursor, cursor.copy(f"COPY posts ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row([r["source_id"], r["url"], r["content_hash"], r["title"], r["text"], r["author"],
                                    _check_aware(r["published_at"]), _check_aware(r["fetched_at"]),
                                    r["thread_url"], r["floor"],
                                    _json(r["extra"])])
    except (UniqueViolation, IntegrityError):
        stmt = pg_insert(Post.__table__).on_conflict_do_nothing(index_elements=["url"])  # type: ignore[arg-type]
        session.execute(stmt, list(rows))
    except psycopg.Error as exc:  # raw driver errors become SQLAlchemy's, as everywhere else
        raise DBAPIError.instance("COPY posts", None, exc, psycopg.Error) from exc
