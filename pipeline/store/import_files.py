"""Progress records of files that import sources pick up (`pipeline.importing.import_folder`)."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pipeline.models import ImportFile, Source, utcnow
from pipeline.store.sources import ensure_source

# Bulk inserts put keys at random places in the url and content-hash indexes; with SQLite's
# 2 MB default page cache a table of a million posts then reads index pages from disk per row.
SQLITE_BULK_CACHE_KIB = 64 * 1024


def prepare_bulk_write(session: Session) -> None:
    """Give this SQLite connection a page cache big enough for bulk index inserts."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}"))


def source_kind(session: Session, name: str) -> str | None:
    """The kind stored for source ``name``, or None when it has never been seen."""
    return session.scalar(select(Source.kind).where(Source.name == name))


def claim_file(session: Session, source: str, kind: str, name: str, fingerprint: str, size: int) -> ImportFile:
    """The progress record of a file (by content fingerprint), created on first sight."""
    source_id = ensure_source(session, source, kind).id
    record = session.scalar(select(ImportFile).where(ImportFile.source_id == source_id,
                                                     ImportFile.fingerprint == fingerprint))
    if record is None:
        record = ImportFile(source_id=source_id, name=name, fingerprint=fingerprint, size=size, offset=0, line=0,
                            rows=0, new=0, updated=0, unchanged=0, bad=0, status="importing")
        session.add(record)
        session.flush()
    return record


def record_progress(session: Session, file_id: int, *, offset: int, line: int, rows: int, new: int,
                    updated: int, unchanged: int, bad: int) -> None:
    """Advance a file's committed position; call in the transaction that stored its posts."""
    record = session.get_one(ImportFile, file_id)
    record.offset, record.line = offset, line
    record.rows += rows
    record.new += new
    record.updated += updated
    record.unchanged += unchanged
    record.bad += bad


def finish_file(session: Session, file_id: int, status: str, message: str | None = None) -> None:
    record = session.get_one(ImportFile, file_id)
    record.status = status
    record.message = message
    record.finished_at = utcnow()
