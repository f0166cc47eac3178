"""The one validator of numbers from URLs and forms: ids and page numbers the database can hold.

Ids are BIGINT (PostgreSQL) / INTEGER (SQLite): anything outside 1..2⁶³-1 cannot name a
row, and handing it to the driver raises ``OverflowError`` (a 500). Path ids use `RowId`
(FastAPI answers 422 when it does not fit); query-string numbers go through `bounded_int`,
which raises `OutOfRange` (422 as well).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path

MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000  # 50 per page: far beyond any inbox; keeps OFFSET well inside BIGINT

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id (1 … 2⁶³-1)")]
FormVersion = Annotated[int, Form(ge=1, le=MAX_ID)]


class OutOfRange(ValueError):
    """A number in the query string outside what the app accepts (422)."""


def bounded_int(value: str | None, default: int, *, name: str, low: int = 1, high: int = MAX_ID) -> int:
    """``value`` as an int in ``low..high``; ``default`` when empty or not a number (ignored, as
    other malformed filters are); `OutOfRange` when it is a number out of range."""
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        return default
    if not low <= number <= high:
        raise OutOfRange(f"{name} must be between {low} and {high}")
    return number
