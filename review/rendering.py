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
MODEL_ZH = {"relevance": "相关度", "rumour": "谣言可能性", "sentiment": "情感", "category": "类别"}
SOURCE_KIND_ZH = {"list": "新闻列表", "forum": "论坛", "feed": "订阅源", "sitemap": "站点地图", "import": "文件导入",
                  "hotlist": "热榜"}
# Built-in names of the shipped rules, for configs written before rules had a label.
RULE_ZH = {"rumour": "谣言", "emergency": "突发事件", "criticism": "批评监督", "complaint": "诉求投诉",
           "hot-issue": "热点问题"}
AUDIT_ACTION_ZH = {
    "view": "查看", "login": "登录", "logout": "退出", "login_failed": "登录失败", "login_throttled": "登录过于频繁",
    "export": "导出", "import": "导入", "label": "标注", "assign": "指派", "alert_status": "变更预警状态",
    "draft_create": "起草回应稿", "draft_edit": "修改回应稿", "draft_submit": "提交审核", "draft_review": "审核回应稿",
    "draft_approve": "批准回应稿", "draft_publish": "发布回应稿", "user_add": "添加用户", "user_disable": "停用用户",
    "user_enable": "启用用户", "user_passwd": "修改密码",
}
AUDIT_OBJECT_ZH = {"post": "信息", "alert": "预警", "draft": "回应稿", "digest": "日报", "inbox": "待研判列表",
                   "posts": "信息", "source": "信息源", "user": "用户", "event": "事件"}
AUDIT_DETAIL_KEY_ZH = {
    "rows": "行数", "filter": "筛选条件", "format": "格式", "client": "客户端地址", "via": "途径", "labels": "标注",
    "assignee": "指派给", "before": "原状态", "after": "新状态", "alert_id": "预警", "version": "版本",
    "status": "状态", "file": "文件", "source": "来源", "since": "起", "until": "止", "flagged": "仅标记",
    "category": "类别", "sort": "排序", "topic": "专题", "grade": "等级", "q": "关键词", "page": "页",
    "relevance": "相关性", "rumour": "谣言", "sentiment": "情感", "verdict": "判定",
}


IDENTIFIER_KEYS = ("file", "client")  # shown as <code>: names of files and addresses, not words


def audit_detail(detail: Mapping[str, Any] | None) -> Markup:
    """An audit entry's details as a person reads them: Chinese keys, values translated where they are
    our own codes (statuses, sentiments, categories); empty parts left out. Escaped piece by piece."""
    if not detail:
        return Markup("")
    parts = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, Mapping):
            inner = audit_detail(value)
            if not inner:
                continue
            shown = Markup("（%s）") % inner
        elif key in IDENTIFIER_KEYS:
            shown = Markup("<code>%s</code>") % str(value)
        else:
            shown = escape(_audit_value(str(key), value))
        parts.append(Markup("%s：%s") % (AUDIT_DETAIL_KEY_ZH.get(str(key), str(key)), shown))
    return Markup("；").join(parts)


def _audit_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value)
    if key in ("before", "after", "status"):
        return STATUS_ZH.get(text) or DRAFT_STATUS_ZH.get(text) or text
    if key == "sentiment":
        return SENTIMENT_ZH.get(text, text)
    if key == "category":
        return category_zh(text)
    if key in ("rumour", "relevance"):
        return {"1": "是", "0": "否"}.get(text, text)
    if key == "verdict":
        return VERDICT_ZH.get(text, text)
    if key == "via":
        return {"api": "接口"}.get(text, text)
    if key == "sort":
        return SORT_ZH.get(text, text)
    return text


SORT_ZH = {"time": "最新", "time_asc": "最早", "relevance": "相关度", "rumour": "谣言可能性", "negative": "负面程度",
           "grade": "预警等级"}


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

    def __init__(self, tz: ZoneInfo, clock: Any, rule_labels: Mapping[str, str | None] | None = None) -> None:
        self.tz = tz
        self.clock = clock
        labels = {name: label for name, label in (rule_labels or {}).items() if label}

        def rule_zh(name: str | None) -> str:
            return labels.get(name or "") or RULE_ZH.get(name or "", name or "")

        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(
            local=self.local, left=self.left, seconds_left=self.seconds_left, safe_url=safe_url,
            category_zh=category_zh, grade_zh=grade_zh,
            status_zh=lambda v: STATUS_ZH.get(v or "", v or ""), pct=lambda v: f"{100 * float(v):.0f}%",
            sentiment_zh=lambda v: SENTIMENT_ZH.get(v, v), role_zh=lambda v: ROLE_ZH.get(v, v),
            draft_status_zh=lambda v: DRAFT_STATUS_ZH.get(v, v), draft_action_zh=lambda v: DRAFT_ACTION_ZH.get(v, v),
            field_zh=lambda v: LABEL_FIELD_ZH.get(v, v), verdict_zh=lambda v: VERDICT_ZH.get(v, v),
            iso=lambda v: v.isoformat() if v else "", rule_zh=rule_zh, model_zh=lambda v: MODEL_ZH.get(v, v),
            kind_zh=lambda v: SOURCE_KIND_ZH.get(v, v), action_zh=lambda v: AUDIT_ACTION_ZH.get(v, v),
            object_zh=lambda v: AUDIT_OBJECT_ZH.get(v or "", v or ""), audit_detail=audit_detail,
            short=lambda v, n=120: v if len(v) <= n else v[:n] + "…",
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
