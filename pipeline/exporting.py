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
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config
from pipeline.db import transaction
from pipeline.exceptions import YuqingError
from pipeline.postfields import EXPORT_FIELDS, URN_PREFIX, format_time, neutralise_cell, parse_time
from pipeline.sheets import HEADER_ROW, PROBABILITIES, XLSX_WIDTHS, percent, person_values
from pipeline.store import audit
from pipeline.store.export import ExportFilter, stream_export_rows

log = logging.getLogger(__name__)

ExportFormat = Literal["jsonl", "csv", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "xlsx")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
SHEET_TITLE = "信息"


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


def csv_row(record: dict[str, Any]) -> list[object]:
    """One CSV row as people read it (pipeline.sheets), formula-safe; the web inbox's CSV uses it too."""
    values = person_values(record)
    for name in PROBABILITIES:
        values[name] = percent(values[name])
    return [_csv_cell(values[name]) for name in EXPORT_FIELDS]


def write_csv(records: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    count = 0
    try:
        writer = csv.writer(text)
        writer.writerow(HEADER_ROW)
        for record in records:
            writer.writerow(csv_row(record))
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


def _new_sheet(book: Workbook, title: str) -> Any:
    """A sheet with Chinese headers, column widths and a frozen header row (set before any row: a
    write-only sheet writes them first); its autofilter is set by `_finish_sheet`."""
    sheet = book.create_sheet(title)
    for i, name in enumerate(EXPORT_FIELDS, 1):
        sheet.column_dimensions[get_column_letter(i)].width = XLSX_WIDTHS[name]
    sheet.freeze_panes = "A2"
    header = []
    for label in HEADER_ROW:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    return sheet


def _xlsx_row(sheet: Any, record: dict[str, Any]) -> list[object]:
    values = person_values(record)
    row = [_xlsx_cell(sheet, values[name]) for name in EXPORT_FIELDS]
    published = values["published_at"]
    if published:  # a real date cell, in the config's time zone (Excel has no time zones)
        cell = WriteOnlyCell(sheet, value=datetime.fromisoformat(published).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        row[_PUBLISHED] = cell
    for index, name in _PROBABILITY_COLUMNS:
        if values[name] is not None:
            cell = WriteOnlyCell(sheet, value=float(values[name]))
            cell.number_format = "0%"
            row[index] = cell
    return row


def _finish_sheet(sheet: Any, rows: int) -> None:
    """The autofilter over the header and the ``rows`` rows written (written after the rows)."""
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(EXPORT_FIELDS))}{max(rows, 1)}"


_PUBLISHED = EXPORT_FIELDS.index("published_at")
_PROBABILITY_COLUMNS = tuple((EXPORT_FIELDS.index(name), name) for name in PROBABILITIES)


def write_xlsx(records: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    """A write-only workbook; a new sheet starts when one reaches Excel's row limit."""
    book = Workbook(write_only=True)
    sheet = None
    sheets = 0
    rows_in_sheet = XLSX_MAX_ROWS
    count = 0
    for record in records:
        if rows_in_sheet >= XLSX_MAX_ROWS:
            if sheet is not None:
                _finish_sheet(sheet, rows_in_sheet)
            sheets += 1
            sheet = _new_sheet(book, SHEET_TITLE if sheets == 1 else f"{SHEET_TITLE}{sheets}")
            rows_in_sheet = 1
        assert sheet is not None
        sheet.append(_xlsx_row(sheet, record))
        rows_in_sheet += 1
        count += 1
    if sheet is None:
        sheet, rows_in_sheet = _new_sheet(book, SHEET_TITLE), 1
    _finish_sheet(sheet, rows_in_sheet)
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
