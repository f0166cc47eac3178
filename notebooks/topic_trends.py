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
# # 话题趋势 Topic trends
#
# Posts per topic and per day over the last `DAYS` days, with the share judged relevant
# (相关占比) and the share of relevant posts that are negative (负面占比).
# A post is counted under each topic its keywords matched; posts that matched no topic
# appear as 无主题. Days are in the office's time zone (`timezone` in the config).

# %% tags=["parameters"]
CONFIG = "../config.yaml"  # the yuqing config (relative to this folder); its storage.url is the database
DAYS = 14  # how many days back, counting today

# %%
from datetime import datetime, time, timedelta
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from sqlalchemy import select

from alerts.digest.charts import cjk_font_family
from pipeline.config import load_config
from pipeline.db import engine_from_config
from pipeline.models import Analysis, Post, Source

config = load_config(Path(CONFIG))
engine = engine_from_config(config)
topic_names = {t.name: t.label for t in config.topics}
today = datetime.now(config.tz).date()
since = today - timedelta(days=DAYS - 1)
start = datetime.combine(since, time(), tzinfo=config.tz)

# %% [markdown]
# ## The posts and their analyses
#
# One row per analysis. A post re-analysed by a newer model has several; we keep its latest.

# %%
query = (
    select(Post.id.label("post_id"), Source.name.label("source"), Post.title,
           Post.published_at, Post.fetched_at,
           Analysis.id.label("analysis_id"), Analysis.is_relevant, Analysis.sentiment,
           Analysis.category, Analysis.topics)
    .join(Source, Source.id == Post.source_id)
    .join(Analysis, Analysis.post_id == Post.id)
    .where(Post.fetched_at >= start)  # a post published since `start` was fetched after it
)
with engine.connect() as conn:
    posts = pd.read_sql(query, conn)

posts = posts.sort_values("analysis_id").drop_duplicates("post_id", keep="last")
# the day a post was published (else fetched), in the office's time zone
when = pd.to_datetime(posts["published_at"].fillna(posts["fetched_at"]), utc=True)
posts["day"] = when.dt.tz_convert(config.tz).dt.date
posts = posts[posts["day"] >= since]
posts["negative"] = posts["is_relevant"] & (posts["sentiment"] == "neg")
posts[["day", "source", "title", "is_relevant", "sentiment", "category", "topics"]].tail(10)

# %% [markdown]
# ## Per day

# %%
def shares(frame: pd.DataFrame) -> pd.DataFrame:
    """posts, relevant, negative counts and the two shares, per group."""
    out = frame.agg(posts=("post_id", "count"), relevant=("is_relevant", "sum"), negative=("negative", "sum"))
    out["relevant_share"] = (out["relevant"] / out["posts"]).round(3)
    out["negative_share"] = (out["negative"] / out["relevant"].where(out["relevant"] > 0)).fillna(0).round(3)
    return out


daily = shares(posts.groupby("day"))
daily

# %% [markdown]
# ## Per topic and day

# %%
by_topic = posts.explode("topics")  # one row per (post, topic); a post with no topic gets NaN
by_topic["topic"] = by_topic["topics"].map(topic_names).fillna(by_topic["topics"]).fillna("无主题")
trend = shares(by_topic.groupby(["day", "topic"])).reset_index()
trend

# %% [markdown]
# Posts per topic (columns) and day (rows): the table behind the chart.

# %%
counts = trend.pivot_table(index="day", columns="topic", values="posts", aggfunc="sum", fill_value=0)
counts = counts.reindex(pd.date_range(since, today).date, fill_value=0)
counts

# %%
family = cjk_font_family()  # the digest's CJK font set-up: Chinese labels render, not boxes
if family:
    plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
plt.rcParams["axes.unicode_minus"] = False

fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
labels = [f"{d.month}月{d.day}日" for d in counts.index]
for topic in counts.columns:
    top.plot(labels, counts[topic], marker="o", label=topic)
top.set_title(f"各话题每日信息量（近{DAYS}天）")
top.set_ylabel("条数")
top.legend(loc="upper left", frameon=False, ncol=3, fontsize=8)
shares_by_day = daily.reindex(counts.index)
bottom.plot(labels, shares_by_day["relevant_share"], marker="o", label="相关占比")
bottom.plot(labels, shares_by_day["negative_share"], marker="o", color="#d32f2f", label="负面占比")
bottom.set_ylim(0, 1.05)
bottom.set_ylabel("占比")
bottom.legend(loc="upper left", frameon=False)
bottom.tick_params(axis="x", rotation=45)
fig.tight_layout()
plt.show()

# %%
engine.dispose()
