from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from nlp.dedup import NearDuplicateIndex, signatures
from nlp.events import EventClusterer, EventPost, summarize_event
from nlp.tokenize import tokenize
from tests.nlp.conftest import read_jsonl

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.shared_data
def test_real_reposts_are_grouped(shared_data: Path) -> None:
    """CED/Ma-2016 reposts share a cluster key; most same-cluster pairs must land in one group."""
    recs = read_jsonl(shared_data / "rumour" / "train.jsonl")[:1500]
    sigs = signatures([tokenize(r["text"]).content for r in recs])
    index = NearDuplicateIndex()
    groups = [index.add(i, sigs[i], T0 + timedelta(seconds=i)) for i in range(len(recs))]
    by_cluster = defaultdict(list)
    for i, r in enumerate(recs):
        by_cluster[r["cluster"]].append(i)
    pairs = [(m[0], j) for m in by_cluster.values() for j in m[1:]]
    assert len(pairs) > 50
    recall = sum(groups[a] == groups[b] for a, b in pairs) / len(pairs)
    assert recall > 0.9
    # and it does not lump everything together
    assert len(set(groups)) > 0.5 * len(by_cluster)


def test_near_copy_grouped_and_unrelated_not() -> None:
    a = "网传新规：二胎家庭要交10万社会抚养费，今天起执行，大家快转发告诉身边的人"
    b = "//@路人甲: 真的假的？ 网传新规：二胎家庭要交10万社会抚养费，今天起执行，大家快转发告诉身边的人 http://t.cn/xyz"
    c = "今天天气不错，带孩子去公园放风筝，晚上吃火锅"
    sigs = signatures([tokenize(t).content for t in (a, b, c)])
    index = NearDuplicateIndex()
    assert index.add(1, sigs[0], T0) == 1
    assert index.add(2, sigs[1], T0) == 1
    assert index.add(3, sigs[2], T0) == 3


def test_window_bounds_memory_and_forgets_old_posts() -> None:
    index = NearDuplicateIndex(window=timedelta(hours=1), max_items=100)
    text = tokenize("同一条消息反复转发，内容完全一样，用来测试时间窗口").content
    sig = signatures([text])[0]
    assert index.add("old", sig, T0) == "old"
    assert index.add("late", sig, T0 + timedelta(hours=2)) == "late"  # old one expired
    for i in range(500):
        index.add(i, signatures([[f"词{i}", f"话{i}"]])[0], T0 + timedelta(hours=2, seconds=i))
    assert len(index.lsh) <= 100


def test_events_group_rewordings_and_rebuild_is_deterministic() -> None:
    posts = [
        ("p1", "某市计生办工作人员强行拆除超生户房屋，村民围堵抗议，现场视频流出", 0),
        ("p2", "视频：某市计生办强行拆除超生户房屋，村民围堵抗议", 10),
        ("p3", "今晚的月亮好圆，中秋快乐", 20),
        ("p4", "网友曝光某市计生办强行拆除超生户房屋，村民自发围堵抗议引发关注", 30),
    ]
    rows = [(pid, tokenize(t).content, T0 + timedelta(minutes=m)) for pid, t, m in posts]
    first = EventClusterer().rebuild(rows)
    assert first["p2"].event_key == first["p1"].event_key == "Ep1"
    assert first["p4"].event_key == "Ep1"
    assert first["p3"].event_key == "Ep3" and first["p3"].is_new_event
    again = EventClusterer().rebuild(list(reversed(rows)))  # order of the input does not matter
    assert {k: v.event_key for k, v in again.items()} == {k: v.event_key for k, v in first.items()}


def test_summarize_event() -> None:
    posts = [
        EventPost(1, "", "【计生办强拆事件】村民围堵抗议。后续待报道", "weibo", T0, 0.9),
        EventPost(2, "", "转发", "forum", T0 + timedelta(hours=1), 0.2),
        EventPost(3, "", "太过分了", "weibo", T0 + timedelta(hours=2), 0.8),
    ]
    s = summarize_event("E1", posts, now=T0 + timedelta(hours=2))
    assert s.title == "计生办强拆事件"
    assert (s.first_seen, s.last_seen, s.post_count, s.sources) == (T0, T0 + timedelta(hours=2), 3, 2)
    assert s.negative_share == pytest.approx(2 / 3)
    later = summarize_event("E1", posts, now=T0 + timedelta(days=3))
    assert later.heat < s.heat  # heat decays with age
    with pytest.raises(ValueError):
        summarize_event("E1", [])


THREAD_POSTS = [
    ("t1", "县计生服务中心一名产妇分娩后大出血死亡，家属聚集在门口拉横幅要求说法", 0, "https://bbs.example/t/204"),
    ("t2", "听说只有一个医生值班，血库也没有血，卫健委必须给个说法", 5, "https://bbs.example/t/204"),
    ("x1", "周末去哪儿玩？推荐几个适合带娃的室内游乐场，最好有停车位", 6, "https://bbs.example/t/203"),
]


def test_posts_of_one_thread_form_one_event_and_rebuild_keeps_it() -> None:
    rows = [(pid, tokenize(t).content, T0 + timedelta(minutes=m), th) for pid, t, m, th in THREAD_POSTS]
    without = EventClusterer().rebuild([r[:3] for r in rows])
    assert without["t2"].event_key != without["t1"].event_key  # the reply alone shares too few words
    first = EventClusterer().rebuild(rows)
    assert first["t2"].event_key == first["t1"].event_key == "Et1"
    assert not first["t2"].is_new_event
    assert first["t2"].dup_key == "Dt2"  # same story, not a near-copy
    assert first["x1"].event_key == "Ex1"  # another thread stays apart
    again = EventClusterer().rebuild(list(reversed(rows)))
    assert {k: v.event_key for k, v in again.items()} == {k: v.event_key for k, v in first.items()}


def test_thread_forgotten_after_the_window() -> None:
    clusterer = EventClusterer(window=timedelta(hours=1))
    words = tokenize(THREAD_POSTS[0][1]).content
    reply = tokenize(THREAD_POSTS[1][1]).content
    assert clusterer.add_words("a", words, T0).event_key == "Ea"
    sig = signatures([reply])[0]
    assert clusterer.add("b", sig, len(set(reply)), T0 + timedelta(minutes=50), thread="th").event_key == "Eb"
    assert clusterer.add("c", sig, len(set(reply)), T0 + timedelta(minutes=55), thread="th").event_key == "Eb"
    late = clusterer.add("d", signatures([words])[0], len(set(words)), T0 + timedelta(hours=3), thread="th")
    assert late.event_key == "Ed" and late.is_new_event


def test_thread_map_is_bounded_with_the_index() -> None:
    clusterer = EventClusterer(max_items=50)
    for i in range(400):  # one post per thread, all distinct and recent
        words = [f"词{i}", f"话{i}", f"事{i}", f"帖{i}"]
        clusterer.add(i, signatures([words])[0], 4, T0 + timedelta(seconds=i), thread=f"t{i}")
    assert len(clusterer.thread_event) <= 2 * 50 + 1


def test_word_hash_memo_is_bounded_and_hashes_stay_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    import nlp.dedup

    monkeypatch.setattr(nlp.dedup, "WORD_CACHE_MAX", 50)
    monkeypatch.setattr(nlp.dedup, "_word_hash_cache", {})
    docs = [["生育", "补贴", f"编号{i}"] for i in range(200)]  # every post brings a word never seen again
    batches = [docs[i:i + 10] for i in range(0, len(docs), 10)]
    first = [signatures(batch) for batch in batches]
    assert len(nlp.dedup._word_hash_cache) <= 50 + 12  # the limit plus one batch's new words
    assert (signatures(docs) == np.concatenate(first)).all()  # re-hashed after emptying: same signatures
