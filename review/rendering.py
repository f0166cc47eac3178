"""Jinja2 pages (autoescaped) and the filters that make crawled text safe to show.

Crawled text is hostile. Everything is escaped by Jinja2's autoescape; the only
`Markup` built here is `highlight`, which escapes each piece of text before it inserts
``<mark>`` at the matched positions. Links from posts are shown only for http(s) URLs
(`pipeline.links.safe_url`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from alerts.grades import Grade
from nlp.categories import CATEGORY_NAMES_ZH, Category
from pipeline.links import safe_url

TEMPLATES = Path(__file__).resolve().parent / "templates"

STATUS_ZH = {"new": "新预警", "acknowledged": "已确认接收", "responding": "处置中", "closed": "已关闭",
             "none": "无预警"}
DRAFT_STATUS_ZH = {"draft": "草稿", "reviewed": "已审核", "approved": "已批准"}
DRAFT_ACTION_ZH = {"create": "从模板起草", "refresh": "按最新数据重写", "edit": "修改", "submit": "提交审核",
                   "review": "审核通过", "approve": "批准"}
SENTIMENT_ZH = {"neg": "负面", "neu": "中性", "pos": "正面"}
ROLE_ZH = {"analyst": "分析员", "monitor": "监测员", "approver": "审批人", "admin": "管理员"}
LABEL_FIELD_ZH = {"verdict": "判定", "relevance": "相关性", "rumour": "谣言", "sentiment": "情感",
                  "category": "类别"}
VERDICT_ZH = {"confirmed": "确认", "false_positive": "误报"}


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> Markup:
    """``text`` escaped, with ``<mark>`` around each (start, end) span; bad spans are ignored."""
    merged: list[list[Any]] = []
    for start, end, topic in sorted((s, e, t) for s, e, t in spans if 0 <= s < e <= len(text)):
        if merged and start < merged[-1][1]:  # overlapping hits become one mark
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, topic])
    out: list[str] = []
    pos = 0
    for start, end, topic in merged:
        out.append(str(escape(text[pos:start])))
        out.append(f'<mark title="{escape(topic)}">{escape(text[start:end])}</mark>')
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def category_zh(value: str | None) -> str:
    if not value:
        return ""
    try:
        return CATEGORY_NAMES_ZH[Category(value)]
    except ValueError:
        return value


def grade_zh(value: str | None) -> str:
    if not value:
        return ""
    try:
        grade = Grade(value)
    except ValueError:
        return value
    return f"{grade.value}级 {grade.name_zh}"


class Pages:
    """The page renderer: one Jinja2 environment with autoescape on, times in the office's zone."""

    def __init__(self, tz: ZoneInfo, clock: Any) -> None:
        self.tz = tz
        self.clock = clock
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(
            local=self.local, left=self.left, seconds_left=self.seconds_left, safe_url=safe_url,
            category_zh=category_zh, grade_zh=grade_zh,
            status_zh=lambda v: STATUS_ZH.get(v or "", v or ""), pct=lambda v: f"{100 * float(v):.0f}%",
            sentiment_zh=lambda v: SENTIMENT_ZH.get(v, v), role_zh=lambda v: ROLE_ZH.get(v, v),
            draft_status_zh=lambda v: DRAFT_STATUS_ZH.get(v, v), draft_action_zh=lambda v: DRAFT_ACTION_ZH.get(v, v),
            field_zh=lambda v: LABEL_FIELD_ZH.get(v, v), verdict_zh=lambda v: VERDICT_ZH.get(v, v),
            iso=lambda v: v.isoformat() if v else "", short=lambda v, n=120: v if len(v) <= n else v[:n] + "…",
        )
        self.env.globals.update(categories=[(c.value, CATEGORY_NAMES_ZH[c]) for c in Category],
                                grades=[g.value for g in Grade], statuses=list(STATUS_ZH),
                                highlight=highlight, query=self.query)

    def seconds_left(self, due: datetime | None) -> int:
        """Seconds to ``due`` by the server's clock; the page script counts down from it,
        so a wrong clock on the analyst's computer does not skew the countdown."""
        return round((due - self.clock()).total_seconds()) if due is not None else 0

    def left(self, due: datetime | None) -> str:
        """Time left to ``due`` as the countdown script shows it (the script then keeps it live)."""
        if due is None:
            return ""
        seconds = round((due - self.clock()).total_seconds())
        span = abs(seconds)
        text = f"{span // 3600}:{span % 3600 // 60:02d}:{span % 60:02d}"
        return f"剩余 {text}" if seconds >= 0 else f"已超时 {text}"

    def local(self, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(self.tz).strftime(fmt) if value else ""

    @staticmethod
    def query(params: Mapping[str, Any], **changes: Any) -> str:
        """A query string from ``params`` with ``changes`` applied; empty values dropped."""
        merged = {**params, **changes}
        return urlencode({k: v for k, v in merged.items() if v not in (None, "")})

    def render(self, request: Request, name: str, context: Mapping[str, Any], status_code: int = 200) -> HTMLResponse:
        viewer = context.get("viewer")
        html = self.env.get_template(name).render(request=request, now=self.clock(), viewer=viewer, **{
            k: v for k, v in context.items() if k != "viewer"})
        return HTMLResponse(html, status_code=status_code)
