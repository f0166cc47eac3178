"""The posts as people read them in a spreadsheet: CSV and XLSX from `yuqing export` and the web inbox.

One column list for both (the exchange fields of `pipeline.postfields.EXPORT_FIELDS`, in that order),
with Chinese headers and values: 负面 rather than ``neg``, 谣言、不实信息 rather than ``rumour``,
probabilities as percentages. JSONL and the API keep the English keys and codes: machines read those.
Import reads these headers back (`pipeline.postfields.FIELD_ALIASES`); it ignores the analysis columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nlp.categories import CATEGORY_NAMES_ZH, Category
from pipeline.postfields import EXPORT_FIELDS

SHEET_HEADERS: dict[str, str] = {
    "url": "链接", "source": "来源", "title": "标题", "text": "正文", "author": "作者", "published_at": "发布时间",
    "thread_url": "主帖链接", "floor": "楼层", "relevance": "相关度", "rumour": "谣言可能性", "sentiment": "情感",
    "category": "类别", "event_id": "事件编号",
}
HEADER_ROW: tuple[str, ...] = tuple(SHEET_HEADERS[name] for name in EXPORT_FIELDS)
PROBABILITIES = ("relevance", "rumour")
SENTIMENT_NAMES_ZH = {"neg": "负面", "neu": "中性", "pos": "正面"}
# Width of each column in an XLSX sheet, in characters (a CJK character counts about two).
XLSX_WIDTHS: dict[str, float] = {
    "url": 40, "source": 14, "title": 40, "text": 60, "author": 14, "published_at": 17, "thread_url": 30,
    "floor": 6, "relevance": 9, "rumour": 11, "sentiment": 7, "category": 18, "event_id": 10,
}


def category_name(value: str | None) -> str | None:
    if not value:
        return value
    try:
        return CATEGORY_NAMES_ZH[Category(value)]
    except ValueError:
        return value


def percent(value: Any) -> str | None:
    """A probability as people write it: ``0.873`` → ``87%``."""
    return None if value is None else f"{100 * float(value):.0f}%"


def person_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` (our field names and codes) with the codes a person reads translated; probabilities
    stay numbers (each format shows them as percentages its own way)."""
    out = dict(record)
    out["sentiment"] = SENTIMENT_NAMES_ZH.get(record.get("sentiment") or "", record.get("sentiment"))
    out["category"] = category_name(record.get("category"))
    return out
