"""Import posts from JSONL and CSV files into the same pipeline as crawled ones.

Every good record goes through `pipeline.store.posts.add_posts` (de-duplicated by canonical
URL, or by content where a record has no URL, then analysed, alerted and digested like any
post). Bad records are reported with their line number and reason and skipped. Records are
committed in chunks, so a failure keeps every chunk committed before it; `import_folder`
commits each chunk together with the file's progress record and so resumes a failed file
where it stopped, importing no row twice.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import time

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config, SourceConfig
from pipeline.db import describe_db_error, transaction
from pipeline.exceptions import StorageError, YuqingError
from pipeline.filereading import ImportFileError, Position, Record, detect_encoding, format_of, read_records
from pipeline.postfields import RowError, row_to_post
from pipeline.prefetch import prefetched
from pipeline.store import audit
from pipeline.store.import_files import claim_file, finish_file, prepare_bulk_write, record_progress, source_kind
from pipeline.store.posts import PostIn, add_posts

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000  # rows per commit
ADD_BATCH = 5000  # rows per add_posts statement: fewer round trips than its default
MAX_REPORTED = 1000  # bad rows kept for the report; all are counted
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FOLDER_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")

# Called after each committed chunk, inside its transaction: (session, position, chunk counts).
OnCommit = Callable[[Session, Position, "ImportSummary"], None]


@dataclass(frozen=True)
class BadRow:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ImportSummary:
    """What an import did: rows read, what add_posts made of the good ones, the bad ones."""

    files: int = 0
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)

    def add(self, other: ImportSummary) -> None:
        self.files += other.files
        self.rows += other.rows
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.bad += other.bad
        self.bad_rows.extend(other.bad_rows[: max(0, MAX_REPORTED - len(self.bad_rows))])
        self.failed_files.extend(other.failed_files)

    def line(self) -> str:
        text = (f"{self.rows} rows: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.bad} bad")
        if self.files != 1:
            text = f"{self.files} files, {text}"
        if self.failed_files:
            text += f"; {len(self.failed_files)} files failed"
        return text


def check_source_name(name: str) -> str:
    if not _SOURCE_NAME.match(name):
        raise YuqingError(f"source name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    return name


def import_file(factory: sessionmaker[Session], config: Config, path: Path, *, source: str,
                fmt: str | None = None, encoding: str = "auto", start: Position = Position(),
                on_commit: OnCommit | None = None, progress: Callable[[int], None] | None = None,
                chunk_rows: int = CHUNK_ROWS) -> ImportSummary:
    """Import one file into source ``source``; returns the summary (bad rows included).

    Raises `ImportFileError` when the file as a whole cannot be read (format, encoding, no
    text column). ``progress`` gets the byte offset reached after each committed chunk.
    """
    check_source_name(source)
    file_format = format_of(path, fmt)
    detected = detect_encoding(path, encoding)
    kind = _kind_for(factory, config, source)
    summary = ImportSummary(files=1)
    committed = start
    records = read_records(path, file_format, detected, start)
    # Parsing runs in a thread while the previous chunk is written: the two overlap.
    chunks = prefetched(_chunks(records, source, config, path.name, chunk_rows))
    with _old_objects_frozen():
        for chunk, pending, position in chunks:
            try:
                with transaction(factory) as session:
                    prepare_bulk_write(session)
                    added = add_posts(session, chunk, kind=kind, batch_size=ADD_BATCH)
                    pending.new, pending.updated, pending.unchanged = added.new, added.updated, added.unchanged
                    if on_commit is not None:
                        on_commit(session, position, pending)
            except DBAPIError as exc:
                url = factory.kw["bind"].url.render_as_string(hide_password=False)
                raise StorageError(f"{path.name}: import stopped; rows up to line {committed.line} are stored "
                                   f"({describe_db_error(exc, url)})") from exc
            committed = position
            summary.add(pending)
            if progress is not None:
                progress(position.offset)
    log.info("imported file", extra={"file": str(path), "source": source, "rows": summary.rows,
                                     "new": summary.new, "bad": summary.bad, "encoding": detected})
    return summary


@contextmanager
def _old_objects_frozen() -> Iterator[None]:
    """Keep the objects that exist before an import out of the garbage collector's full scans.

    An import keeps thousands of posts alive between chunks (in the prefetch queue, in the
    batch being stored), so they reach the oldest generation and trigger a full collection
    every few chunks, each re-scanning every object of the loaded modules (~120,000) to find
    nothing: ~12 % of an import's CPU time. Frozen objects are only exempt, not leaked:
    `gc.unfreeze` returns them to the oldest generation afterwards (objects made meanwhile, by
    any thread, are collected as usual).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _chunks(records: Iterable[Record], source: str, config: Config, name: str, size: int
            ) -> Iterator[tuple[list[PostIn], ImportSummary, Position]]:
    """Good posts in chunks of ``size`` records, with the chunk's bad rows and end position."""
    tz = config.tz  # a property that builds the zone: once per file, not per row
    chunk: list[PostIn] = []
    pending = ImportSummary()
    rows = 0
    position: Position | None = None
    for record in records:
        rows += 1
        position = record.end
        if record.fields is not None:
            try:
                chunk.append(row_to_post(record.fields, source=source, tz=tz))
            except RowError as exc:
                _bad_row(pending, name, record.line, str(exc))
        else:
            _bad_row(pending, name, record.line, record.error or "unreadable")
        if rows >= size:
            pending.rows = rows
            yield chunk, pending, position
            chunk, pending, rows = [], ImportSummary(), 0
    if rows and position is not None:
        pending.rows = rows
        yield chunk, pending, position


def _bad_row(pending: ImportSummary, name: str, line: int, reason: str) -> None:
    pending.bad += 1
    if len(pending.bad_rows) < MAX_REPORTED:
        pending.bad_rows.append(BadRow(name, line, reason))


def _kind_for(factory: sessionmaker[Session], config: Config, source: str) -> str:
    """The configured kind of the source, else the stored one, else ``import``."""
    for configured in config.sources:
        if configured.name == source:
            return configured.kind
    with factory() as session:
        return source_kind(session, source) or "import"


def record_import(factory: sessionmaker[Session], user: str | None, path: Path, source: str,
                  summary: ImportSummary) -> None:
    """Write the audit entry of a finished import (DESIGN §5)."""
    with transaction(factory) as session:
        audit.record(session, user, "import", "source", source, file=path.name, rows=summary.rows,
                     new=summary.new, bad=summary.bad)


def fingerprint(path: Path) -> str:
    """Identifies a file's content cheaply: its size and first megabyte."""
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()


def _ready_files(folder: Path, settle_seconds: float) -> list[Path]:
    """Files of a known format that nobody has written to for ``settle_seconds``."""
    cutoff = time() - settle_seconds
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in _FOLDER_SUFFIXES and not p.name.startswith((".", "~$"))
                  and p.stat().st_mtime <= cutoff)


def _move(path: Path, folder: Path, tag: str) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{tag[:8]}-{path.name}"
    path.replace(target)
    return target


def import_folder(factory: sessionmaker[Session], config: Config, source: SourceConfig, *,
                  settle_seconds: float = 2.0, chunk_rows: int = CHUNK_ROWS) -> ImportSummary:
    """Import each new file in an import source's folder once, then move it to ``done/``.

    A file that cannot be read at all moves to ``failed/`` with a ``.error.txt`` beside it.
    A file whose import stops half-way (database down, process killed) stays where it is;
    the next call resumes after its last committed chunk. Bad rows of a file are listed in
    ``done/<file>.errors.txt``.
    """
    if not source.folder:
        raise YuqingError(f"source {source.name} has no folder to import from")
    folder = config.path(source.folder)
    if not folder.is_dir():
        raise ImportFileError(f"source {source.name}: import folder {folder} does not exist")
    total = ImportSummary()
    for path in _ready_files(folder, settle_seconds):
        tag = fingerprint(path)
        with transaction(factory) as session:
            record = claim_file(session, source.name, source.kind, path.name, tag, path.stat().st_size)
            file_id, status, start = record.id, record.status, Position(record.offset, record.line)
        if status != "importing":
            log.info("file imported before; moving it", extra={"file": str(path), "status": status})
            _move(path, folder / ("done" if status == "done" else "failed"), tag)
            continue

        def on_commit(session: Session, position: Position, chunk: ImportSummary, file_id: int = file_id) -> None:
            record_progress(session, file_id, offset=position.offset, line=position.line, rows=chunk.rows,
                            new=chunk.new, updated=chunk.updated, unchanged=chunk.unchanged, bad=chunk.bad)

        try:
            summary = import_file(factory, config, path, source=source.name, encoding=source.encoding,
                                  start=start, on_commit=on_commit, chunk_rows=chunk_rows)
        except ImportFileError as exc:
            log.warning("import file failed", extra={"file": str(path), "source": source.name, "error": str(exc)})
            with transaction(factory) as session:
                finish_file(session, file_id, "failed", str(exc))
            moved = _move(path, folder / "failed", tag)
            moved.with_name(moved.name + ".error.txt").write_text(f"{exc}\n", encoding="utf-8")
            total.files += 1
            total.failed_files.append(f"{path.name}: {exc}")
            continue
        with transaction(factory) as session:
            finish_file(session, file_id, "done", summary.line())
        moved = _move(path, folder / "done", tag)
        if summary.bad_rows:
            moved.with_name(moved.name + ".errors.txt").write_text(
                "".join(f"{bad}\n" for bad in summary.bad_rows), encoding="utf-8")
        total.add(summary)
    return total
