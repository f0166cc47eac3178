# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 事件时间线 One event's timeline
#
# An event is a cluster of posts about the same story or claim. This notebook shows one
# event: its posts over time by source, its alert with the grade history (every notice
# sent, escalation, follow-up and analyst action), and the response drafts with their
# revisions. Leave `EVENT_ID = None` to pick the event of the most severe alert
# (the latest one among equals).

# %% tags=["parameters"]
CONFIG = "../config.yaml"  # the yuqing config (relative to this folder); its storage.url is the database
EVENT_ID = None  # an event id (see the review app's alert page), or None for the most severe alert's
FREQ = "1h"  # the time bucket of the timeline: "15min", "1h", "1D", ...

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from sqlalchemy import select

from alerts.digest.charts import cjk_font_family
from alerts.grades import Grade
from pipeline.config import load_config
from pipeline.db import engine_from_config
from pipeline.models import Alert, Analysis, AuditEntry, DraftRevision, Event, Notification, Post, ResponseDraft, Source

config = load_config(Path(CONFIG))
engine = engine_from_config(config)


def table(query) -> pd.DataFrame:
    """Run a SELECT; its rows as a DataFrame, times in the office's time zone."""
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    for column in frame.select_dtypes("datetimetz"):
        frame[column] = frame[column].dt.tz_convert(config.tz)
    return frame


# %% [markdown]
# ## The event

# %%
if EVENT_ID is None:
    alerts = table(select(Alert.event_id, Alert.grade, Alert.created_at))
    if alerts.empty:
        raise ValueError("no alerts in this database yet: set EVENT_ID to an event's id")
    alerts["rank"] = alerts["grade"].map(lambda g: Grade(g).rank)
    EVENT_ID = int(alerts.sort_values(["rank", "created_at"], ascending=[True, False])["event_id"].iloc[0])

event = table(select(Event).where(Event.id == EVENT_ID)).iloc[0]
event[["id", "title", "topic", "category", "first_seen", "last_seen", "post_count", "source_count",
       "negative_share", "rumour_score", "heat", "burst"]]

# %% [markdown]
# ## Its posts

# %%
posts = table(
    select(Post.id.label("post_id"), Source.name.label("source"), Post.title, Post.author,
           Post.published_at, Post.fetched_at, Post.url,
           Analysis.id.label("analysis_id"), Analysis.sentiment, Analysis.category, Analysis.rumour)
    .join(Source, Source.id == Post.source_id)
    .outerjoin(Analysis, Analysis.post_id == Post.id)
    .where(Post.event_id == EVENT_ID)
)
posts = posts.sort_values("analysis_id").drop_duplicates("post_id", keep="last")  # the latest analysis
posts["time"] = posts["published_at"].fillna(posts["fetched_at"])
posts = posts.sort_values("time")
posts[["time", "source", "title", "author", "sentiment", "category", "rumour", "url"]]

# %% [markdown]
# Posts per time bucket (`FREQ`) and source, and the running total.

# %%
timeline = pd.crosstab(posts["time"].dt.floor(FREQ), posts["source"])
timeline = timeline.reindex(pd.date_range(timeline.index.min(), timeline.index.max(), freq=FREQ), fill_value=0)
timeline["total so far"] = timeline.sum(axis=1).cumsum()
timeline

# %%
family = cjk_font_family()  # the digest's CJK font set-up: Chinese labels render, not boxes
if family:
    plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
plt.rcParams["axes.unicode_minus"] = False

fig, ax = plt.subplots(figsize=(9, 3.5))
labels = [t.strftime("%m-%d %H:%M") for t in timeline.index]
timeline.drop(columns="total so far").set_axis(labels).plot.bar(stacked=True, ax=ax, width=0.8)
ax.plot(labels, timeline["total so far"], color="#333333", marker="o", label="累计")
ax.set_title(f"事件 {EVENT_ID}：{event['title'][:30]}")
ax.set_ylabel("条数")
ax.legend(loc="upper left", frameon=False)
ax.tick_params(axis="x", rotation=45)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Its alert and grade history

# %%
alert = table(select(Alert).where(Alert.event_id == EVENT_ID))
if alert.empty:
    print(f"event {EVENT_ID} raised no alert")
else:
    alert["grade"] = alert["grade"].map(lambda g: f"{g}级 {Grade(g).name_zh}")
    alert = alert.iloc[0]
alert

# %% [markdown]
# Every notice the alert sent — its first grade, each grade raised, the escalation to the
# supervisor, the follow-up (续报) reminders — and what analysts did with it, in time order.

# %%
alert_ids = [] if alert.empty else [int(alert["id"])]


def notice_kind(key: str) -> str:
    """alert:<id>:grade:II:email:… → II级 预警通知; escalation:1 → 超时升级; followup:2 → 第2次续报提醒"""
    _, _, kind, value, *_ = key.split(":")
    names = {"grade": f"{value}级 预警通知", "escalation": "超时升级", "followup": f"第{value}次续报提醒"}
    return names.get(kind, kind)


notices = table(select(Notification.created_at.label("at"), Notification.idempotency_key, Notification.channel,
                       Notification.recipient, Notification.status, Notification.subject)
                .where(Notification.alert_id.in_(alert_ids)))
notices["what"] = notices["idempotency_key"].map(notice_kind)
notices["detail"] = notices["channel"] + " → " + notices["recipient"] + " (" + notices["status"] + ")"
actions = table(select(AuditEntry.at, AuditEntry.user, AuditEntry.action, AuditEntry.detail)
                .where(AuditEntry.object_type == "alert", AuditEntry.object_id.in_([str(i) for i in alert_ids])))
actions["what"] = actions["action"]
actions["detail"] = actions["user"].fillna("") + " " + actions["detail"].astype(str)

history = pd.concat([notices[["at", "what", "detail"]], actions[["at", "what", "detail"]]])
history = history.sort_values("at").reset_index(drop=True)
history

# %% [markdown]
# ## Response drafts and their revisions

# %%
drafts = table(select(ResponseDraft.id, ResponseDraft.status, ResponseDraft.version, ResponseDraft.author,
                      ResponseDraft.reviewer, ResponseDraft.approver, ResponseDraft.updated_at, ResponseDraft.body)
               .where(ResponseDraft.alert_id.in_(alert_ids)))
drafts[["id", "status", "version", "author", "reviewer", "approver", "updated_at"]]

# %%
revisions = table(select(DraftRevision.draft_id, DraftRevision.version, DraftRevision.status, DraftRevision.action,
                         DraftRevision.actor, DraftRevision.at)
                  .where(DraftRevision.draft_id.in_(drafts["id"].tolist())).order_by(DraftRevision.at))
revisions

# %%
for draft in drafts.itertuples():
    print(f"—— draft {draft.id}, version {draft.version}, {draft.status} ——\n{draft.body}\n")

# %%
engine.dispose()
