"""The exchange format of posts (DESIGN §3 `export`): field names, times, cells, row checks.

Export writes these fields and import reads them back, so both sides live here:
`EXPORT_FIELDS` in order, times as ISO 8601 with offset in the config timezone, CSV cells
neutralised against formula injection (and restored on import), and `row_to_post`, which
turns one imported record into a `PostIn` or raises `RowError` with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pipeline.store.posts import PostIn

EXPORT_FIELDS = ("url", "source", "title", "text", "author", "published_at", "thread_url", "floor",
                 "relevance", "rumour", "sentiment", "category", "event_id")

# Column names people use in spreadsheets, mapped to ours (lower-cased, stripped).
FIELD_ALIASES = {
    "link": "url", "链接": "url", "网址": "url", "原文链接": "url",
    "标题": "title", "content": "text", "body": "text", "正文": "text", "内容": "text",
    "作者": "author", "发布者": "author", "time": "published_at", "date": "published_at",
    "发布时间": "published_at", "时间": "published_at", "楼层": "floor", "主帖链接": "thread_url",
    # the rest of the Chinese headers `yuqing export` writes (pipeline.sheets), so its files import again
    "来源": "source", "相关度": "relevance", "谣言可能性": "rumour", "情感": "sentiment", "类别": "category",
    "事件编号": "event_id",
}

URN_PREFIX = "urn:yuqing:content:"
MAX_URL = 2048
MAX_AUTHOR = 256

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


class RowError(ValueError):
    """One imported record is unusable; the message is the reason shown to the user."""


@lru_cache(maxsize=4096)
def normalise_header(name: str) -> str:
    key = name.strip().lstrip("\ufeff").strip().lower()
    return FIELD_ALIASES.get(key, key)


def neutralise_cell(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (and to one already so quoted).

    Quoting cells that start with ``'`` too keeps this reversible: `restore_cell` undoes it.
    """
    if value and (value.startswith(FORMULA_STARTS) or value.startswith(_QUOTE)):
        return _QUOTE + value
    return value


def restore_cell(value: str) -> str:
    """The inverse of `neutralise_cell` for cells read back from a CSV file."""
    if len(value) > 1 and value[0] == _QUOTE and (value[1] in FORMULA_STARTS or value[1] == _QUOTE):
        return value[1:]
    return value


def format_time(value: datetime | None, tz: tzinfo) -> str | None:
    """ISO 8601 with offset in ``tz``, e.g. ``2026-03-05T10:00:00+08:00``."""
    if value is None:
        return None
    return value.astimezone(tz).isoformat()


_CHINESE_DATE = re.compile(
    r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*(?:(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?"
    r"(?:\s*[:：]\s*(\d{1,2})\s*秒?)?)?$")
_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})")


def parse_time(value: str, tz: tzinfo) -> datetime:
    """A date or datetime as people write it; naive values are in ``tz``. Raises ValueError."""
    text = value.strip()
    try:  # ISO 8601 first: what export writes. The other forms need 年 or a / or . after the year, which it rejects.
        parsed = datetime.fromisoformat(text)
    except ValueError:
        match = _CHINESE_DATE.match(text)
        if match:
            year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
            parsed = datetime(year, month, day, hour, minute, second)
        else:
            text = _SLASHED.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", text)
            parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


# Already canonical: lower-case scheme and host, no fragment, no spaces (the common case, checked fast).
_PLAIN_URL = re.compile(r"https?://[a-z0-9.\-]+(?::\d+)?(?:[/?][^#\s]*)?")


def canonical_url(value: str) -> str:
    """An http(s) URL with scheme and host lower-cased and the fragment dropped."""
    if _PLAIN_URL.fullmatch(value) and len(value) <= MAX_URL:
        return value
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise RowError(f"url {value[:80]!r} is not an http(s) URL")
    url = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
    if len(url) > MAX_URL:
        raise RowError(f"url is longer than {MAX_URL} characters")
    return url


def _text(fields: Mapping[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if type(value) is not str:  # numbers are read as text; str checked first, it is nearly every value
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise RowError(f"{name} must be text, not {type(value).__name__}")
        value = str(value)
    if "\x00" in value:
        value = value.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    return value if value and not value.isspace() else None


def _floor(fields: Mapping[str, Any]) -> int | None:
    value = fields.get("floor")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError("floor must be a whole number")
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise RowError(f"floor {str(value)[:40]!r} is not a whole number") from None
    if not isinstance(number, int | float) or number != int(number) or number < 0:
        raise RowError(f"floor {str(value)[:40]!r} is not a whole number")
    return int(number)


def row_to_post(fields: Mapping[str, Any], *, source: str, tz: tzinfo) -> PostIn:
    """One imported record (our field names) as a `PostIn`; `RowError` says why not.

    ``text`` is required; ``url`` is optional (a record without one is keyed by its content);
    a naive ``published_at`` is in ``tz``. Analysis fields are ignored: imported posts are
    analysed like crawled ones.
    """
    text = _text(fields, "text")
    if text is None:
        raise RowError("no text")
    url = _text(fields, "url")
    if url is not None:
        url = None if url.strip().startswith(URN_PREFIX) else canonical_url(url)
    thread_url = _text(fields, "thread_url")
    if thread_url is not None:
        thread_url = canonical_url(thread_url)
    published = _text(fields, "published_at")
    published_at = None
    if published is not None:
        try:
            published_at = parse_time(published, tz)
        except ValueError:
            raise RowError(f"published_at {published[:40]!r} is not a date or time") from None
    author = _text(fields, "author")
    return PostIn(source=source, url=url, title=_text(fields, "title") or "", text=text,
                  author=author[:MAX_AUTHOR] if author else None, published_at=published_at,
                  thread_url=thread_url, floor=_floor(fields))
