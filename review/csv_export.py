"""CSV and xlsx export of inbox rows: CSV is UTF-8 with a BOM (so Excel reads Chinese),
formula-injection safe; in xlsx every text cell is typed as text, so none is ever a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
as a formula by spreadsheet programs; such cells get a leading apostrophe (OWASP advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipeline.store.inbox import InboxRow

BOM = "\ufeff"
COLUMNS = ("id", "published_at", "source", "title", "text", "url", "category", "relevance", "rumour",
           "negative", "sentiment", "topics", "event_id", "alert_id", "grade", "status")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _values(row: InboxRow, tz: ZoneInfo) -> list[object]:
    published = row.published_at.astimezone(tz).isoformat() if row.published_at else ""
    return [row.post_id, published, row.source, row.title, row.text, row.url, row.category,
            f"{row.relevance:.3f}", f"{row.rumour:.3f}", f"{row.negative:.3f}", row.sentiment,
            " ".join(row.topics), row.event_id or "", row.alert_id or "", row.grade or "", row.status or ""]


def csv_chunks(rows: Iterable[InboxRow], tz: ZoneInfo, *, every: int = 500) -> Iterator[bytes]:
    """The CSV file in chunks of ``every`` rows, BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in _values(row, tz)])
        if n % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Iterable[InboxRow], tz: ZoneInfo) -> bytes:
    """The rows as an xlsx workbook (one sheet; the inbox export is capped far below Excel's limit)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("inbox")
    sheet.append(list(COLUMNS))
    for row in rows:
        cells: list[object] = []
        for value in _values(row, tz):
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
