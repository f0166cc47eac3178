"""The item page: highlighted keywords, scores with their terms, the event, labels."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pipeline.models import AuditEntry, Label
from tests.review.builders import NOW, add_alert, add_event, add_item

TEXT = "我家三孩育儿补贴迟迟没有到账"


def seed(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        event = add_event(s, title="育儿补贴延迟")
        alert = add_alert(s, event, due_at=NOW + timedelta(minutes=35))
        post = add_item(s, title="补贴去哪了", text=TEXT, event=event, url="https://bbs.example.cn/t/1",
                        matches=[{"term": "补贴", "field": "body", "start": 6, "end": 8, "topic": "fertility"},
                                 {"term": "补贴", "field": "title", "start": 0, "end": 2, "topic": "fertility"}],
                        explanations={"relevance": [["育儿补贴", 1.25], ["明星", -0.5]], "rumour": []})
        other = add_item(s, title="同一件事的转发", text="补贴没到", event=event, source="forum",
                         published_at=NOW - timedelta(days=1))
        return post.id, other.id, alert.id


def test_item_page_shows_marks_scores_event_and_link(db, client_for):  # type: ignore[no-untyped-def]
    post_id, other_id, _ = seed(db)
    client, _ = client_for("ana")
    html = client.get(f"/items/{post_id}").text
    assert '我家三孩育儿<mark title="fertility">补贴</mark>迟迟没有到账' in html
    assert '<h1><mark title="fertility">补贴</mark>去哪了</h1>' in html
    assert "育儿补贴 <small>+1.25</small>" in html and "明星 <small>-0.50</small>" in html
    assert "相关度" in html and "90%" in html
    assert 'href="https://bbs.example.cn/t/1"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert f'href="/items/{other_id}"' in html and "同一件事的转发" in html
    assert "forum" in html and "city-news" in html  # event sources
    assert "剩余 0:35:00" in html  # countdown to the deadline, from the app's clock


def test_item_view_is_audited(db, client_for):  # type: ignore[no-untyped-def]
    post_id, _, _ = seed(db)
    client, _ = client_for("mon")
    client.get(f"/items/{post_id}")
    with db() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "view")).one()
        assert (entry.user, entry.object_type, entry.object_id) == ("mon", "post", str(post_id))


def test_labels_are_stored_for_retraining(db, client_for):  # type: ignore[no-untyped-def]
    post_id, _, alert_id = seed(db)
    client, token = client_for("ana")
    r = client.post(f"/items/{post_id}/labels", data={"action": "false_positive", "csrf_token": token})
    assert r.status_code == 200 and "误报" in r.text
    client.post(f"/items/{post_id}/labels", data={"action": "correct", "relevance": "0", "rumour": "",
                                                  "sentiment": "neu", "category": "other", "csrf_token": token})
    with db() as s:
        labels = {(lb.field, lb.value, lb.alert_id, lb.user) for lb in s.scalars(select(Label))}
    assert labels == {("verdict", "false_positive", alert_id, "ana"), ("relevance", "0", alert_id, "ana"),
                      ("sentiment", "neu", alert_id, "ana"), ("category", "other", alert_id, "ana")}


def test_bad_label_values_are_refused(db, client_for):  # type: ignore[no-untyped-def]
    post_id, _, _ = seed(db)
    client, token = client_for("ana")
    bad = client.post(f"/items/{post_id}/labels", data={"category": "nonsense", "csrf_token": token})
    assert bad.status_code == 409
    assert client.post(f"/items/{post_id}/labels", data={"csrf_token": token}).status_code == 409
    assert client.post("/items/999999/labels", data={"action": "confirmed", "csrf_token": token}).status_code == 404
    assert client.get("/items/999999").status_code == 404
    with db() as s:
        assert s.scalars(select(Label)).all() == []


def test_item_page_shows_the_hot_list_rank_history(db, client_for):  # type: ignore[no-untyped-def]
    from pipeline.store.hotlists import RankedEntry, record_snapshot
    from pipeline.store.sources import ensure_source

    post_id, _, _ = seed(db)
    with db() as s, s.begin():
        source_id = ensure_source(s, "weibo-hot", "hotlist").id
        for minutes, rank in ((0, 9), (10, 4), (20, 6)):
            record_snapshot(s, source_id, "微博热搜", [RankedEntry("https://bbs.example.cn/t/1", "补贴去哪了", rank,
                                                                  1.5e6)], now=NOW + timedelta(minutes=minutes))
        record_snapshot(s, source_id, "微博热搜", [], now=NOW + timedelta(minutes=30))
    client, _ = client_for("ana")
    html = client.get(f"/items/{post_id}").text
    assert "热搜上榜：微博热搜" in html
    assert "第4位" in html and "20 分钟" in html and "1,500,000" in html
    assert "第9位" in html and "下榜" in html and "仍在榜" not in html
