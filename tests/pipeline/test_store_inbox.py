"""The review app's store queries on SQLite and PostgreSQL: inbox, facets, dashboard, labels."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from pipeline.models import Analysis
from pipeline.store.dashboard import rule_precision, volume_by_day
from pipeline.store.inbox import InboxFilter, inbox_page, inbox_rows
from pipeline.store.labels import training_records
from pipeline.store.review_actions import add_labels
from tests.review.builders import NOW, add_alert, add_event, add_item

TZ = ZoneInfo("Asia/Shanghai")


def _seed(session):  # type: ignore[no-untyped-def]
    rumour = add_event(session, title="谣言")
    add_alert(session, rumour, grade="I", rule="rumour-rule", category="rumour")
    a = add_item(session, title="罚款十万", text="网传二孩罚款十万 50%_off", category="rumour", event=rumour,
                 source="weibo")
    demand = add_event(session, title="补贴")
    add_alert(session, demand, grade="III", status="acknowledged", rule="demand-rule")
    b = add_item(session, title="补贴没到", text="育儿补贴没到账", event=demand, source="city-news")
    c = add_item(session, title="补贴咨询", text="怎么办理", event=demand, source="forum",
                 published_at=NOW - timedelta(days=2))
    add_item(session, title="无关", text="明星", relevant=False)
    session.commit()
    return a, b, c


def test_inbox_filters_and_faceted_counts(session):  # type: ignore[no-untyped-def]
    a, b, c = _seed(session)
    page = inbox_page(session, InboxFilter(), TZ)
    assert page.total == 3 and [r.post_id for r in page.rows] == [b.id, a.id, c.id]
    assert page.counts["grade"] == {"III": 2, "I": 1}
    assert page.counts["status"] == {"acknowledged": 2, "new": 1}
    chosen = inbox_page(session, InboxFilter(grade="III", source="forum"), TZ)
    assert [r.post_id for r in chosen.rows] == [c.id] and chosen.total == 1
    assert chosen.counts["source"] == {"city-news": 1, "forum": 1}, "other sources, grade kept"
    assert chosen.counts["grade"] == {"III": 1}, "other grades, source kept"
    assert inbox_page(session, InboxFilter(q="50%_"), TZ).total == 1, "LIKE wildcards are literal"
    assert inbox_page(session, InboxFilter(q="网%十万"), TZ).total == 0, "not a wildcard"
    assert inbox_page(session, InboxFilter(since=NOW.astimezone(TZ).date()), TZ).total == 2
    assert inbox_page(session, InboxFilter(until=(NOW - timedelta(days=1)).astimezone(TZ).date()), TZ).total == 1
    assert inbox_page(session, InboxFilter(topic="fertility"), TZ).total == 3
    assert inbox_page(session, InboxFilter(topic='fertility" OR 1=1'), TZ).total == 0
    assert len(list(inbox_rows(session, InboxFilter(sort="relevance"), TZ))) == 3


def test_newest_analysis_decides(session):  # type: ignore[no-untyped-def]
    a, _, _ = _seed(session)
    session.add(Analysis(post_id=a.id, model_version="test-2", relevance=0.1, is_relevant=False, rumour=0.1,
                         sentiment="neu", negative=0.1, category="other"))
    session.commit()
    assert a.id not in [r.post_id for r in inbox_page(session, InboxFilter(), TZ).rows]


def test_rule_precision_uses_each_alerts_latest_verdict(session):  # type: ignore[no-untyped-def]
    a, b, _ = _seed(session)
    from pipeline.store.items import post_alert_id

    add_labels(session, a.id, {"verdict": "false_positive"}, user="ana", alert_id=post_alert_id(session, a.id))
    add_labels(session, a.id, {"verdict": "confirmed"}, user="mon", alert_id=post_alert_id(session, a.id))
    add_labels(session, b.id, {"verdict": "false_positive"}, user="ana", alert_id=post_alert_id(session, b.id))
    session.commit()
    rules = {r.rule: (r.alerts, r.confirmed, r.false_positive, r.precision) for r in rule_precision(session)}
    assert rules == {"demand-rule": (1, 0, 1, 0.0), "rumour-rule": (1, 1, 0, 1.0)}


def test_volume_by_day_counts_local_days(session):  # type: ignore[no-untyped-def]
    from pipeline.store.posts import add_posts
    from tests.factories import make_post

    add_posts(session, [make_post(fetched_at=NOW), make_post(fetched_at=NOW - timedelta(hours=1)),
                        make_post(fetched_at=NOW - timedelta(days=1)), make_post(fetched_at=NOW - timedelta(days=30))])
    session.commit()
    volume = volume_by_day(session, TZ, NOW, days=14)
    assert len(volume) == 14 and volume[-1].day == NOW.astimezone(TZ).date()
    assert [v.posts for v in volume[-2:]] == [1, 2] and sum(v.posts for v in volume) == 3


def test_training_records_latest_label_wins(session):  # type: ignore[no-untyped-def]
    a, b, _ = _seed(session)
    add_labels(session, a.id, {"rumour": "0", "category": "rumour"}, user="ana")
    add_labels(session, a.id, {"rumour": "1", "sentiment": "neg"}, user="ana2")
    add_labels(session, b.id, {"relevance": "1", "rumour": "0"}, user="ana")
    session.commit()
    assert training_records(session, "rumour") == [{"text": "罚款十万\n网传二孩罚款十万 50%_off", "label": 1},
                                                   {"text": "补贴没到\n育儿补贴没到账", "label": 0}]
    assert training_records(session, "sentiment") == [{"text": "罚款十万\n网传二孩罚款十万 50%_off", "label": "neg"}]
    assert training_records(session, "category")[0]["label"] == "rumour"
    assert training_records(session, "relevance") == [{"text": "补贴没到\n育儿补贴没到账", "label": 1}]


def test_uncertain_scope_lists_posts_near_the_threshold_or_where_rules_and_model_disagree(session):  # type: ignore[no-untyped-def]
    clear = add_item(session, title="清楚", relevance=0.97)  # relevant, with a topic: nothing to confirm
    near = add_item(session, title="拿不准", relevance=0.55)
    nearer = add_item(session, title="更拿不准", relevance=0.48, relevant=False, topics=[])
    keyword_only = add_item(session, title="明星二胎", relevance=0.05, relevant=False)  # a topic hit the model rejects
    model_only = add_item(session, title="没有专题", relevance=0.9, topics=[])  # relevant without any topic hit
    add_item(session, title="无关", relevance=0.02, relevant=False, topics=[])
    session.commit()
    page = inbox_page(session, InboxFilter(scope="uncertain", threshold=0.5), TZ)
    ids = [r.post_id for r in page.rows]
    assert set(ids) == {near.id, nearer.id, keyword_only.id, model_only.id} and clear.id not in ids
    assert ids[:2] == [nearer.id, near.id]  # nearest the threshold first
    assert page.total == 4
    assert {r.post_id for r in inbox_rows(session, InboxFilter(scope="uncertain"), TZ)} == set(ids)
