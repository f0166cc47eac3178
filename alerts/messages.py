"""The words of an alert notification: mail subject, plain text, HTML and webhook markdown.

Everything crawled (titles, post text, source names) is hostile: the HTML template
autoescapes it, and `md_escape` neutralises markdown and tags for the robot formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jinja2

from alerts.drafts import SHIPPED_TEMPLATES
from alerts.grades import Grade
from pipeline.links import safe_url

MessageKind = Literal["new", "upgrade", "escalation", "followup"]
GRADE_HEX = {"I": "#d32f2f", "II": "#f57c00", "III": "#f9a825", "IV": "#1976d2"}
_MD_UNSAFE = str.maketrans({
    "*": "＊", "_": "＿", "[": "［", "]": "］", "#": "＃", "`": "｀", "<": "＜", ">": "＞",
    "~": "～", "|": "｜", "!": "！", "\\": "＼", "\r": " ", "\n": " ",
})
EXCERPT_CHARS = 200


def md_escape(text: object) -> str:
    """Crawled text made inert in robot markdown: no links, emphasis, headings, tags or line breaks."""
    return str(text).translate(_MD_UNSAFE)


@dataclass(frozen=True)
class PostView:
    title: str
    text: str
    url: str
    source: str
    published_at: datetime | None = None

    @property
    def link(self) -> str | None:
        """The post's URL if it is safe to make a link of (http/https), else None."""
        return safe_url(self.url)

    @property
    def excerpt(self) -> str:
        body = " ".join(self.text.split())
        return body if len(body) <= EXCERPT_CHARS else body[: EXCERPT_CHARS - 1] + "…"


@dataclass(frozen=True)
class AlertView:
    """An alert as the notification shows it (plain data gathered by the pipeline)."""

    alert_id: int
    kind: MessageKind
    grade: Grade
    category: str
    category_zh: str
    title: str
    topic_label: str
    due_at: datetime
    timezone: str
    monitor: str | None = None
    supervisor: str | None = None
    reasons: Sequence[str] = ()
    post_count: int = 0
    source_count: int = 0
    sources: Sequence[str] = ()
    negative_share: float = 0.0
    first_seen: datetime | None = None
    posts: Sequence[PostView] = ()
    draft: str = ""
    review_url: str | None = None
    followup_no: int = 0
    previous_grade: Grade | None = None

    def local(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M")

    @property
    def due_text(self) -> str:
        return self.local(self.due_at)

    @property
    def grade_text(self) -> str:
        return f"{self.grade.value}级（{self.grade.name_zh}·{self.grade.colour_zh}）"

    @property
    def grade_hex(self) -> str:
        return GRADE_HEX[self.grade.value]


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    markdown: str
    fields: dict[str, Any] = field(default_factory=dict)


def subject_for(view: AlertView) -> str:
    title = " ".join(view.title.split())[:60]
    prefix = {
        "new": f"【舆情预警·{view.grade.value}级 {view.grade.name_zh}】",
        "upgrade": f"【预警升级·{view.grade.value}级 {view.grade.name_zh}】",
        "escalation": f"【逾期未确认·请督办·{view.grade.value}级】",
        "followup": f"【续报提醒·第{view.followup_no}次】",
    }[view.kind]
    return prefix + title


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(SHIPPED_TEMPLATES / "mail")),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = md_escape
    return env


def render_alert_message(view: AlertView) -> Message:
    """Subject, plain text, HTML and markdown for one alert notification."""
    env = _environment()
    subject = subject_for(view)
    args = {"v": view, "subject": subject}
    fields: dict[str, Any] = {
        "alert_id": view.alert_id, "kind": view.kind, "grade": view.grade.value, "grade_zh": view.grade.name_zh,
        "category": view.category, "title": view.title, "topic": view.topic_label,
        "due_at": view.due_at.isoformat(), "monitor": view.monitor, "post_count": view.post_count,
        "source_count": view.source_count, "negative_share": round(view.negative_share, 3),
        "reasons": list(view.reasons), "url": view.review_url,
        "posts": [{"title": p.title, "url": p.link, "source": p.source} for p in view.posts],
    }
    return Message(
        subject=subject,
        text=env.get_template("alert.txt.j2").render(args),
        html=env.get_template("alert.html.j2").render(args),
        markdown=env.get_template("alert.md.j2").render(args),
        fields=fields,
    )
