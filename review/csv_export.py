"""CSV and XLSX export of inbox rows: the same columns, headers and values as `yuqing export`
(pipeline.sheets: Chinese headers and values). CSV is UTF-8 with a BOM so that Excel reads
Chinese, and formula-injection safe (a cell a spreadsheet would run as a formula gets a leading
apostrophe); XLSX is `pipeline.exporting.write_xlsx`'s, where no text cell is ever a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.exporting import csv_row, write_xlsx
from pipeline.postfields import URN_PREFIX, format_time, neutralise_cell
from pipeline.sheets import HEADER_ROW
from pipeline.store.inbox import InboxRow

BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """One cell as written (formula-safe): what `csv_row` does to each text cell."""
    return neutralise_cell("" if value is None else str(value))


def _record(row: InboxRow, tz: ZoneInfo) -> dict[str, Any]:
    """The row as an export record (pipeline.postfields.EXPORT_FIELDS)."""
    return {"url": None if row.url.startswith(URN_PREFIX) else row.url, "source": row.source, "title": row.title,
            "text": row.text, "author": row.author, "published_at": format_time(row.published_at, tz),
            "thread_url": row.thread_url, "floor": row.floor, "relevance": row.relevance, "rumour": row.rumour,
            "sentiment": row.sentiment, "category": row.category, "event_id": row.event_id}


def csv_chunks(rows: Iterable[InboxRow], tz: ZoneInfo, *, every: int = 500) -> Iterator[bytes]:
    """The CSV file in chunks of ``every`` rows, BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(HEADER_ROW)
    for n, row in enumerate(rows, 1):
        writer.writerow(csv_row(_record(row, tz)))
        if n % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Iterable[InboxRow], tz: ZoneInfo) -> bytes:
    """The rows as the XLSX workbook `yuqing export --format xlsx` writes."""
    out = io.BytesIO()
    write_xlsx((_record(row, tz) for row in rows), out)
    return out.getvalue()
