"""The daily digest from a day's data: figures with pandas, then HTML and plain text (Jinja2).

Pure: `DigestInput` (DataFrames and plain rows gathered by ``pipeline.digest``) in,
`DigestContent` out. All crawled text is autoescaped in the HTML template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from alerts.digest.charts import trend_png
from nlp.categories import CATEGORY_NAMES_ZH, Category
from nlp.refutation import CLARIFICATION, CLARIFICATION_ZH

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHART_CID = "trend"
SPARKS = "▁▂▃▄▅▆▇█"
NEGATIVE_CUTOFF = 0.5
# 疑似谣言, one definition everywhere (the digest's card and 按类别 row, `yuqing demo`'s summary): relevant
# posts in the rumour category, less those that refute a rumour (counted as 辟谣澄清, nlp.refutation).
SUSPECTED_RUMOUR_CATEGORY = Category.RUMOUR.value
SUSPECTED_RUMOUR_DEFINITION = ("疑似谣言：类别判定为“谣言、不实信息”的相关信息"
                               "（辟谣、澄清类报道不计入，单列为“辟谣澄清”）")
POST_COLUMNS = ("post_id", "event_id", "source", "is_relevant", "negative", "rumour", "category", "topics")


@dataclass
class DigestInput:
    """A day's data. ``posts`` has `POST_COLUMNS` (one row per post, its latest analysis)."""

    day: date
    posts: pd.DataFrame
    previous: dict[str, int]                 # totals of the day before: posts, relevant, negative, rumours
    trend: pd.DataFrame                      # index: the 7 days; columns posts, relevant, negative
    events: pd.DataFrame                     # event_id, title, category, heat, negative_share, post_count
    event_trend: dict[int, list[int]]        # 7 daily post counts per event
    alerts: list[dict[str, Any]] = field(default_factory=list)   # id grade title status due new overdue…
    rumours: list[dict[str, Any]] = field(default_factory=list)  # title posts first_seen answered answered_at
    effects: list[dict[str, Any]] = field(default_factory=list)  # title published before_* after_*
    sources: list[dict[str, Any]] = field(default_factory=list)  # name posts failed silent note
    hotlists: list[dict[str, Any]] = field(default_factory=list)  # label title peak_rank minutes first_seen left
    topic_labels: dict[str, str] = field(default_factory=dict)
    top_events: int = 10
    review_url: str | None = None


@dataclass
class DigestContent:
    subject: str
    html: str
    text: str
    stats: dict[str, Any]
    images: dict[str, bytes]


def sparkline(values: Sequence[int]) -> str:
    top = max(values) if values else 0
    if not top:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(v / top * (len(SPARKS) - 1)))] for v in values)


def _change(now: int, before: int) -> str:
    if before == 0:
        return "—" if now == 0 else "新增"
    pct = (now - before) / before * 100
    return f"{pct:+.0f}%"


def _category_zh(value: str) -> str:
    if value == CLARIFICATION:
        return CLARIFICATION_ZH
    try:
        return CATEGORY_NAMES_ZH[Category(value)]
    except ValueError:
        return value


def _counts(series: pd.Series, labels: dict[str, str] | None = None, limit: int = 15) -> list[tuple[str, int]]:
    counts = series.value_counts()
    rows = [(labels.get(str(k), str(k)) if labels else str(k), int(v)) for k, v in counts.head(limit).items()]
    rest = int(counts.iloc[limit:].sum()) if len(counts) > limit else 0
    if rest:
        rows.append(("其他", rest))
    return rows


def summarize(inp: DigestInput) -> dict[str, Any]:
    """The digest's figures (JSON-friendly)."""
    posts = inp.posts
    relevant = posts[posts["is_relevant"].astype(bool)]
    totals = {
        "posts": len(posts),
        "relevant": len(relevant),
        "negative": int((relevant["negative"] > NEGATIVE_CUTOFF).sum()),
        "rumours": int((relevant["category"] == SUSPECTED_RUMOUR_CATEGORY).sum()),
    }
    change = {k: _change(v, int(inp.previous.get(k, 0))) for k, v in totals.items()}
    topics = relevant["topics"].explode().dropna()
    by_event = relevant.dropna(subset=["event_id"]).groupby("event_id").size().sort_values(ascending=False)
    top = []
    events = inp.events.set_index("event_id") if len(inp.events) else inp.events
    for event_id, n in by_event.head(inp.top_events).items():
        eid = int(event_id)
        row = events.loc[eid] if eid in events.index else None
        trend = inp.event_trend.get(eid, [])
        top.append({
            "event_id": eid, "posts_today": int(n),
            "title": str(row["title"]) if row is not None else f"事件 {eid}",
            "category": _category_zh(str(row["category"])) if row is not None and row["category"] else "—",
            "negative_share": float(row["negative_share"]) if row is not None else 0.0,
            "trend": trend, "spark": sparkline(trend),
        })
    return {
        "day": inp.day.isoformat(),
        "totals": totals,
        "previous": {k: int(inp.previous.get(k, 0)) for k in totals},
        "change": change,
        "by_topic": _counts(topics, inp.topic_labels),
        "by_source": _counts(posts["source"]),
        "by_category": [(_category_zh(k), v) for k, v in _counts(relevant["category"])],
        "trend": {str(d): {k: int(v) for k, v in row.items()} for d, row in inp.trend.iterrows()},
        "top_events": top,
        "alerts_new": sum(1 for a in inp.alerts if a.get("new")),
        "alerts_open": sum(1 for a in inp.alerts if a.get("status") != "closed"),
        "alerts_overdue": sum(1 for a in inp.alerts if a.get("overdue")),
        "rumours_found": len(inp.rumours),
        "rumours_unanswered": sum(1 for r in inp.rumours if not r.get("answered")),
        "sources_failed": [s["name"] for s in inp.sources if s.get("failed")],
        "sources_silent": [s["name"] for s in inp.sources if s.get("silent")],
    }


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def build_digest_content(inp: DigestInput) -> DigestContent:
    """Figures, chart and both renderings of one day's digest."""
    stats = summarize(inp)
    days = [inp.day - timedelta(days=6 - i) for i in range(7)]
    trend = inp.trend.reindex(days, fill_value=0)
    png = trend_png(days, {"相关信息": trend["relevant"].astype(int).tolist(),
                           "负面信息": trend["negative"].astype(int).tolist()},
                    title="近7日相关舆情走势")
    complete = not stats["sources_failed"] and not stats["sources_silent"]
    day = f"{inp.day.year}年{inp.day.month}月{inp.day.day}日"
    subject = (f"【舆情日报】{day}：相关信息 {stats['totals']['relevant']} 条"
               f"（{stats['change']['relevant']}），新预警 {stats['alerts_new']} 条"
               + ("" if complete else "（数据不完整）"))
    args = {"s": stats, "inp": inp, "subject": subject, "complete": complete, "cid": CHART_CID, "days": days,
            "rumour_definition": SUSPECTED_RUMOUR_DEFINITION}
    env = _environment()
    return DigestContent(
        subject=subject,
        html=env.get_template("digest.html.j2").render(args),
        text=env.get_template("digest.txt.j2").render(args),
        stats=stats,
        images={CHART_CID: png},
    )
