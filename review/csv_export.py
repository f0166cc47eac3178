"""CSV export of inbox rows: UTF-8 with a BOM (so Excel reads Chinese), formula-injection safe.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
as a formula by spreadsheet programs; such cells get a leading apostrophe (OWASP advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

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
