"""What every hot-list reader returns, and the helpers the readers share.

A reader is pure: the body of one response in, the list's entries out (rank 1 first). A
body that does not have the shape the reader knows raises `FormatChanged` with what was
expected and what was found: a hot list is never empty, so an empty list is a changed
format too, never an empty success.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


class FormatChanged(ValueError):
    """The response does not have the documented shape (the platform changed its format)."""


@dataclass(frozen=True)
class HotEntry:
    """One entry of a hot list. ``heat`` is the platform's heat value where it gives one."""

    rank: int
    title: str
    url: str
    heat: float | None = None
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "title": self.title, "url": self.url, "heat": self.heat, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HotEntry:
        return cls(rank=int(data["rank"]), title=str(data["title"]), url=str(data["url"]),
                   heat=data.get("heat"), text=str(data.get("text") or ""))


_HEAT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|w|W|k|K)?")
_UNITS = {"万": 1e4, "w": 1e4, "W": 1e4, "亿": 1e8, "k": 1e3, "K": 1e3}


def parse_heat(value: Any) -> float | None:
    """A heat value as a number: 123456, "123456", "1234 万热度", "1.2亿" → float; else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _HEAT.search(str(value).replace(",", ""))
    if not match:
        return None
    return float(match.group(1)) * _UNITS.get(match.group(2) or "", 1.0)


def load_json(body: bytes, platform: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        start = body[:60].decode("utf-8", "replace")
        raise FormatChanged(f"{platform}: the response is not JSON ({exc.__class__.__name__}; it starts "
                            f"{start!r})") from exc


def dig(data: Any, path: str, platform: str) -> Any:
    """``data["a"]["b"]`` for ``path`` "a.b", or `FormatChanged` naming the first missing key."""
    node = data
    walked: list[str] = []
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            where = ".".join(walked) or "the top level"
            found = ", ".join(sorted(map(str, node))[:8]) if isinstance(node, dict) else type(node).__name__
            raise FormatChanged(f"{platform}: expected {path}, but {where} has no {key!r} (found: {found})")
        node = node[key]
        walked.append(key)
    return node


def entry_list(data: Any, path: str, platform: str) -> list[Any]:
    node = dig(data, path, platform) if path else data
    if not isinstance(node, list):
        raise FormatChanged(f"{platform}: expected {path or 'the response'} to be a list, found "
                            f"{type(node).__name__}")
    if not node:
        raise FormatChanged(f"{platform}: {path or 'the response'} is empty (a hot list never is)")
    return node


def text_field(item: Any, keys: tuple[str, ...], platform: str, position: int) -> str:
    """The first non-empty string among ``keys`` of an entry, or `FormatChanged`."""
    if isinstance(item, dict):
        for key in keys:
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    found = ", ".join(sorted(map(str, item))[:8]) if isinstance(item, dict) else type(item).__name__
    raise FormatChanged(f"{platform}: entry {position} has none of {', '.join(keys)} (found: {found})")


def ranked(entries: list[HotEntry], platform: str) -> list[HotEntry]:
    """Entries numbered 1..n in list order; `FormatChanged` when none is left."""
    if not entries:
        raise FormatChanged(f"{platform}: the list has no entries (a hot list never is empty)")
    return [HotEntry(rank=i, title=e.title, url=e.url, heat=e.heat, text=e.text)
            for i, e in enumerate(entries, start=1)]
