"""The daily digest for a seeded day: figures, sections, escaping, archive and sending."""

from __future__ import annotations

import warnings
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from alerts.digest.charts import cjk_font_family, trend_png
from pipeline.db import transaction
from pipeline.digest import build_digest, send_daily_digest
from pipeline.models import Digest, Notification
from pipeline.outbox import deliver_due
from tests.alerts.seeding import digest_config_overrides, seed_digest_week, smtp_server

DAY = date(2026, 3, 5)


def _seed(factory, config):
    start = datetime.combine(DAY, time(0), tzinfo=config.tz)
    with transaction(factory) as session:
        return seed_digest_week(session, start)


def test_digest_figures_and_sections(factory, make_config):
    config = make_config(**digest_config_overrides())
    _seed(factory, config)
    with factory() as session:
        result = build_digest(session, config, DAY)
    s = result.stats
    # Day: hot issue 27 + rumour 25 + answered 2 + 5 irrelevant; the day before: hot 23 + answered 6.
    assert s["totals"]["posts"] == 59 and s["totals"]["relevant"] == 54
    assert s["previous"]["relevant"] == 29 and s["change"]["relevant"] == "+86%"
    assert s["totals"]["rumours"] == 27
    assert s["trend"]["2026-02-27"]["relevant"] == 3 and s["trend"]["2026-03-05"]["relevant"] == 54
    assert dict(s["by_topic"]) == {"生育政策": 52, "奖励扶助": 2}
    assert dict(s["by_source"]) == {"tieba": 34, "city-news": 25}
    assert dict(s["by_category"])["谣言、不实信息"] == 27
    assert s["top_events"][0]["posts_today"] == 27 and s["top_events"][0]["trend"] == [3, 7, 11, 15, 19, 23, 27]
    assert (s["alerts_new"], s["alerts_open"], s["alerts_overdue"]) == (2, 2, 1)
    assert (s["rumours_found"], s["rumours_unanswered"]) == (2, 1)
    assert s["sources_failed"] == ["dead-forum"] and s["sources_silent"] == []
    html, text = result.html, result.text
    for body in (html, text):
        for needle in ("数据不完整", "生育政策", "三孩育儿补贴如何申领引热议", "未回应", "已回应", "逾期", "dead-forum",
                       "回应效果评估"):
            assert needle in body, needle
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'src="cid:trend"' in html and result.images["trend"].startswith(b"\x89PNG")
    assert "数据不完整" in result.subject and "2026年3月5日" in result.subject
    # Effect of the response published the day before: 6 posts / 100% negative before, 2 / 0% after.
    assert "100% → 0%" in html


def test_the_chart_has_its_chinese_glyphs():
    assert cjk_font_family() is not None, "install fonts-wqy-microhei or pylopdf-fonts-zh-cn"
    days = [DAY - timedelta(days=6 - i) for i in range(7)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for boxes
        png = trend_png(days, {"相关信息": [1, 2, 3, 4, 5, 6, 7], "负面信息": [0, 1, 0, 1, 0, 1, 0]}, title="近7日走势")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_send_daily_digest_archives_and_mails_once(factory, make_config):
    with smtp_server() as (controller, sink):
        config = make_config(**digest_config_overrides(smtp={"host": "127.0.0.1", "port": controller.port}))
        _seed(factory, config)
        now = datetime.combine(DAY + timedelta(days=1), time(8, 0), tzinfo=config.tz)
        report = send_daily_digest(factory, config, now=now)
        assert (report.day, report.queued) == ("2026-03-05", 1)
        assert send_daily_digest(factory, config, now=now + timedelta(minutes=5)).queued == 0  # once per day
        assert deliver_due(factory, config, now=now + timedelta(minutes=5)).sent == 1
    [mail] = sink.messages
    assert str(mail["Subject"]).startswith("【舆情日报】2026年3月5日")
    html_part = mail.get_body(("related", "html"))
    assert html_part is not None
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<trend>"
    with factory() as session:
        archived = session.scalars(select(Digest)).one()
        assert archived.day == DAY and archived.stats["totals"]["relevant"] == 54
        # the archive keeps the chart in the page; the mail's cid: image exists only in the mail
        assert "data:image/png;base64," in archived.html and "cid:trend" not in archived.html
        assert session.scalars(select(Notification.status)).all() == ["sent"]


def test_a_debunk_answers_the_rumour_it_quotes_and_is_not_counted_as_one(factory, make_config):
    from tests.alerts.seeding import seed_event

    config = make_config(**digest_config_overrides())
    noon = datetime.combine(DAY, time(12), tzinfo=config.tz)
    with transaction(factory) as session:
        seed_event(session, when=noon - timedelta(hours=2), title="紧急扩散！新规生二胎要交10万超生费", posts=3,
                   text="紧急扩散！新规生二胎要交10万超生费，下月起执行")
        seed_event(session, when=noon, title="网传“二孩罚款10万”？记者求证：系谣言", posts=1, rumour=0.3,
                   text="一则“新规生二胎要交10万超生费”的消息在群里转发。相关负责人表示，网传内容与事实不符。")
        seed_event(session, when=noon, title="我们村还在收社会抚养费", posts=2, rumour=0.7,
                   text="我们村还在收社会抚养费，这合法吗？")
    with factory() as session:
        result = build_digest(session, config, DAY)
    s = result.stats
    # one definition: the card, the 按类别 row and the rumour model's own verdicts agree; the debunk is apart
    assert s["totals"]["rumours"] == dict(s["by_category"])["谣言、不实信息"] == 5
    assert dict(s["by_category"])["辟谣澄清"] == 1
    assert (s["rumours_found"], s["rumours_unanswered"]) == (2, 1)
    assert "记者求证" not in result.html.split("五、谣言与回应")[1].split("六、")[0]
    assert "已有辟谣报道" in result.html and "已有辟谣报道" in result.text
    assert "辟谣澄清" in [e["category"] for e in s["top_events"]]
    for body in (result.html, result.text):
        assert "疑似谣言：类别判定为“谣言、不实信息”的相关信息" in body
