"""Export posts with their analyses as JSONL, CSV or XLSX, streamed (DESIGN §3 `export`).

Rows are written as they come from the database, so a million posts take no more memory
than a thousand. CSV is UTF-8 with a BOM (Excel then reads Chinese text correctly) and
every text cell a spreadsheet would run as a formula is neutralised with a leading ``'``
(`pipeline.postfields.neutralise_cell`; import undoes it). XLSX is written by openpyxl in
write-only mode with text cells typed as text, so no cell is ever a formula.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, BinaryIO, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config
from pipeline.db import transaction
from pipeline.exceptions import YuqingError
from pipeline.postfields import EXPORT_FIELDS, URN_PREFIX, format_time, neutralise_cell, parse_time
from pipeline.store import audit
from pipeline.store.export import ExportFilter, stream_export_rows

log = logging.getLogger(__name__)

ExportFormat = Literal["jsonl", "csv", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "xlsx")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included


class ExportError(YuqingError):
    """The export cannot be made as asked (bad date, xlsx to stdout)."""


def parse_bound(value: str, tz: tzinfo, *, end: bool) -> datetime:
    """``--since``/``--until`` as an aware datetime; a bare date as ``end`` includes that whole day."""
    text = value.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        start = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=tz)
        return start
    try:
        return parse_time(text, tz)
    except ValueError:
        raise ExportError(f"{value!r} is not a date or time; write e.g. 2026-03-05 or 2026-03-05T08:00") from None


def export_records(rows: Iterable[Row[Any]], tz: tzinfo) -> Iterator[dict[str, Any]]:
    """Each row as a mapping of `EXPORT_FIELDS` (None where empty)."""
    for row in rows:
        record: dict[str, Any] = dict(zip(EXPORT_FIELDS, row, strict=True))
        url = record["url"]
        if isinstance(url, str) and url.startswith(URN_PREFIX):
            record["url"] = None  # a post that had no URL: import keys it by its content again
        published = record["published_at"]
        record["published_at"] = format_time(published, tz) if isinstance(published, datetime) else None
        yield record


def write_jsonl(records: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=False)
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    try:
        for record in records:
            text.write(dumps(record))
            text.write("\n")
            count += 1
    finally:
        text.flush()
        text.detach()
    return count


def write_csv(records: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    count = 0
    try:
        writer = csv.writer(text)
        writer.writerow(EXPORT_FIELDS)
        for record in records:
            writer.writerow([_csv_cell(record[name]) for name in EXPORT_FIELDS])
            count += 1
    finally:
        text.flush()
        text.detach()
    return count


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_cell(value)
    return value


def write_xlsx(records: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    """A write-only workbook; a new sheet starts when one reaches Excel's row limit."""
    book = Workbook(write_only=True)
    sheet = None
    sheets = 0
    rows_in_sheet = XLSX_MAX_ROWS
    count = 0
    for record in records:
        if rows_in_sheet >= XLSX_MAX_ROWS:
            sheets += 1
            sheet = book.create_sheet("posts" if sheets == 1 else f"posts{sheets}")
            sheet.append(list(EXPORT_FIELDS))
            rows_in_sheet = 1
        assert sheet is not None
        sheet.append([_xlsx_cell(sheet, record[name]) for name in EXPORT_FIELDS])
        rows_in_sheet += 1
        count += 1
    if sheet is None:
        book.create_sheet("posts").append(list(EXPORT_FIELDS))
    book.save(out)
    return count


def _xlsx_cell(sheet: Any, value: object) -> object:
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith("=") or text in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # text, never a formula or an error value
        return cell
    return text


WRITERS: dict[ExportFormat, Callable[[Iterable[dict[str, Any]], BinaryIO], int]] = {
    "jsonl": write_jsonl, "csv": write_csv, "xlsx": write_xlsx,
}


def export_posts(factory: sessionmaker[Session], config: Config, out: BinaryIO, *, fmt: ExportFormat = "jsonl",
                 filters: ExportFilter = ExportFilter(), user: str | None = None) -> int:
    """Write the posts ``filters`` selects to ``out``; returns how many. Audited (DESIGN §5)."""
    if fmt not in WRITERS:
        raise ExportError(f"unknown export format {fmt!r}; use {', '.join(FORMATS)}")
    with factory() as session:
        count = WRITERS[fmt](export_records(stream_export_rows(session, filters), config.tz), out)
    with transaction(factory) as session:
        audit.record(session, user, "export", "posts", None, format=fmt, rows=count, source=filters.source,
                     flagged=filters.flagged, q=filters.q, since=format_time(filters.since, config.tz),
                     until=format_time(filters.until, config.tz))
    log.info("exported posts", extra={"rows": count, "format": fmt})
    return count
