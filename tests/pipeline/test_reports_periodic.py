"""Weekly and monthly reports: periods, figures equal to the digests', sections, the scheduled mail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pipeline.db import transaction
from pipeline.digest import build_digest
from pipeline.outbox import deliver_due
from pipeline.reports import last_period, period_of, periodic_report, render_report, send_periodic_report
from tests.alerts.seeding import digest_config_overrides, seed_digest_week, seed_event, smtp_server
from tests.reports_support import read_docx

DAY = date(2026, 3, 5)  # a Thursday: its week runs from Monday 2 to Sunday 8 March


def _seed(factory, config):
    with transaction(factory) as session:
        return seed_digest_week(session, datetime.combine(DAY, time(0), tzinfo=config.tz))


def test_periods():
    assert period_of("weekly", DAY) == (date(2026, 3, 2), date(2026, 3, 8))
    assert period_of("monthly", DAY) == (date(2026, 3, 1), date(2026, 3, 31))
    assert period_of("monthly", date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert last_period("weekly", date(2026, 3, 9)) == (date(2026, 3, 2), date(2026, 3, 8))
    assert last_period("monthly", date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_weekly_report_figures_equal_the_digests(factory, make_config, clock):
    config = make_config(**digest_config_overrides())
    _seed(factory, config)
    with transaction(factory) as session:
        report = periodic_report(session, config, "weekly", DAY, author="yuqing", now=clock.now())
        data = render_report(config, report)
        facts = report.facts
        digests = {d: build_digest(session, config, d).stats["totals"]
                   for d in (date(2026, 3, 2) + timedelta(days=i) for i in range(7))}
    by_day = {date.fromisoformat(d["day"]): {k: d[k] for k in ("posts", "relevant", "negative", "rumours")}
              for d in facts["days"]}
    assert by_day == digests  # day by day, the digest's own figures
    assert facts["totals"] == {k: sum(t[k] for t in digests.values()) for k in ("posts", "relevant", "negative",
                                                                               "rumours")}
    assert facts["totals"]["relevant"] == 15 + 19 + 23 + 27 + 25 + 6 + 2 and facts["totals"]["posts"] > 0
    doc = read_docx(data)
    text = doc.text
    assert "舆情周报" in doc.paragraphs[:4] and "2026年第1期" in text
    for heading in ("一、总体情况", "二、重点事件及处置", "三、谣言及澄清情况", "四、回应效果评估",
                    "五、信息源运行情况", "六、下一步工作"):
        assert heading in doc.paragraphs, heading
    assert f"其中相关信息{facts['totals']['relevant']}条" in text
    assert doc.images == 2  # volume and negative-share trends
    events = doc.table_with("事件")
    assert events[1][0] == "三孩育儿补贴如何申领引热议" and events[1][4] == "II级"
    assert any("<script>" in row[0] for row in events)  # crawled titles are text in the file, never markup
    rumours = doc.table_with("谣言")
    assert {row[3].split("（")[0] for row in rumours[1:]} == {"已回应", "未回应"}
    [effects] = [t for t in doc.tables if t[0][1] == "回应时间"]
    assert effects[1][0] == "网传奖励扶助金取消" and effects[1][2:] == ["6", "100%", "1", "0%"]  # 24 h before and after
    sources = doc.table_with("信息源")
    assert any(row[0] == "dead-forum" and row[2].startswith("异常") for row in sources)
    assert "草稿" in doc.header_xml


def test_monthly_report_and_the_same_period_twice(factory, make_config, clock):
    config = make_config(**digest_config_overrides())
    _seed(factory, config)
    with transaction(factory) as session:
        month = periodic_report(session, config, "monthly", DAY, author="yuqing", now=clock.now())
        again = periodic_report(session, config, "monthly", date(2026, 3, 20), author="yuqing", now=clock.now())
        assert again.id == month.id and len(month.facts["days"]) == 31
        doc = read_docx(render_report(config, month))
    assert "舆情月报" in doc.paragraphs[:4] and "2026年3月1日至2026年3月31日" in doc.text


def test_the_scheduled_job_mails_last_weeks_report_once(factory, make_config):
    with smtp_server() as (controller, sink):
        config = make_config(**digest_config_overrides(smtp={"host": "127.0.0.1", "port": controller.port}))
        _seed(factory, config)
        now = datetime(2026, 3, 9, 9, 0, tzinfo=config.tz)
        sent = send_periodic_report(factory, config, "weekly", now=now)
        assert (sent.first, sent.queued) == ("2026-03-02", len(config.digest.recipients))
        assert send_periodic_report(factory, config, "weekly", now=now).queued == 0
        assert deliver_due(factory, config, now=now).sent == len(config.digest.recipients)
    mail = sink.messages[0]
    assert str(mail["Subject"]).startswith("【舆情周报】")
    [doc_part] = [p for p in mail.walk() if p.get_filename() and p.get_filename().endswith(".docx")]
    doc = read_docx(doc_part.get_payload(decode=True))
    assert "2026年3月2日至2026年3月8日" in doc.text


def test_a_mid_week_report_is_rewritten_until_someone_touches_it(factory, make_config):
    from pipeline.store.reports import edit_report

    config = make_config(**digest_config_overrides())
    _seed(factory, config)
    wednesday = datetime(2026, 3, 4, 18, 0, tzinfo=config.tz)
    with transaction(factory) as session:
        early = periodic_report(session, config, "weekly", DAY, author="yuqing", now=wednesday)
        early_relevant = early.facts["totals"]["relevant"]
        early_id = early.id
    with transaction(factory) as session:  # more posts arrive after Wednesday's report
        seed_event(session, when=datetime(2026, 3, 6, 10, 0, tzinfo=config.tz), posts=5)
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=config.tz)
    with transaction(factory) as session:
        fresh = periodic_report(session, config, "weekly", DAY, author="yuqing", now=monday)
        assert fresh.id == early_id and fresh.version == 1
        assert fresh.facts["totals"]["relevant"] == early_relevant + 5
        edit_report(session, fresh.id, {"next": "下周重点关注生育补贴政策解读。"}, actor="王敏", version=1)
    with transaction(factory) as session:
        kept = periodic_report(session, config, "weekly", DAY, author="yuqing",
                               now=monday + timedelta(days=1))
        assert kept.version == 2 and kept.facts["totals"]["relevant"] == early_relevant + 5
        assert kept.sections[-1]["text"] == "下周重点关注生育补贴政策解读。"
