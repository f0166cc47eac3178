"""舆情专报 from an alert: 初报 and 续报N, their figures, review, draft mark and approval line."""

from __future__ import annotations

import pytest

from pipeline.alerting import raise_alerts
from pipeline.models import Alert, Event
from pipeline.reports import followup_report, initial_report, render_report
from pipeline.store.reports import approve_report, edit_report, review_report, submit_report
from pipeline.store.review_actions import ActionRefused
from tests.alerts.seeding import add_posts, alert_config_overrides, seed_event
from tests.reports_support import read_docx


def _alert(session, config, clock, **kw):
    event = seed_event(session, when=clock.now(), **kw)
    [alert_id] = raise_alerts(session, config, [event.id], now=clock.now())
    return session.get(Alert, alert_id)


def test_initial_report_states_the_alerts_figures(session, make_config, clock):
    config = make_config(**alert_config_overrides(reports={"unit": "某市卫健委新闻办"}))
    alert = _alert(session, config, clock, posts=6, sources=3, heat=42.0)
    report = initial_report(session, config, alert.id, author="yuqing", now=clock.now())
    assert initial_report(session, config, alert.id, author="yuqing", now=clock.now()).id == report.id  # one 初报
    doc = read_docx(render_report(config, report))
    event = session.get(Event, alert.event_id)
    text = doc.text
    assert "舆情专报" in doc.paragraphs[:4] and "2026年第1期（初报）" in text
    assert "报送单位：某市卫健委新闻办" in text
    for heading in ("一、基本情况", "二、研判", "三、已采取措施及处置建议", "四、下一步工作"):
        assert heading in doc.paragraphs, heading
    assert f"共监测到相关信息{event.post_count}条" in text and f"{event.source_count}个信息源" in text
    assert f"预警等级为{alert.grade}级" in text and "热度42" in text
    assert f"负面信息占比{event.negative_share * 100:.0f}%" in text
    assert "【待核实" in text  # the monitor completes what software cannot know
    assert doc.images == 1  # the volume chart
    sources = doc.table_with("信息源")
    assert sum(int(n) for _, n in sources[1:]) == event.post_count
    assert "草稿" in doc.header_xml and "PowerPlusWaterMarkObject" in doc.header_xml  # unapproved: watermark
    assert "未经审批" in text and "签发：" not in text
    assert 'PAGE' in doc.footer_xml  # page numbers


def test_followups_are_numbered_and_state_what_changed(session, make_config, clock):
    config = make_config(**alert_config_overrides())
    alert = _alert(session, config, clock, posts=3, sources=2)
    with pytest.raises(ActionRefused):
        followup_report(session, config, alert.id, author="yuqing", now=clock.now())
    first = initial_report(session, config, alert.id, author="yuqing", now=clock.now())
    event = session.get(Event, alert.event_id)
    clock.advance(hours=2)
    add_posts(session, event, 4, sources=1, source_names=("new-forum",), when=clock.now())
    event.post_count += 4
    one = followup_report(session, config, alert.id, author="yuqing", now=clock.now())
    two = followup_report(session, config, alert.id, author="yuqing", now=clock.now())
    assert (first.followup_no, one.followup_no, two.followup_no) == (0, 1, 2)
    assert (first.issue_no, one.issue_no, two.issue_no) == (1, 2, 3)
    doc = read_docx(render_report(config, one))
    assert "2026年第2期（续报1）" in doc.text and "舆情续报" in doc.text
    assert "新增相关信息4条" in doc.text and "new-forum" in doc.text
    assert "续报2" in read_docx(render_report(config, two)).text


def test_review_by_others_then_the_approval_line(session, make_config, clock):
    config = make_config(**alert_config_overrides())
    alert = _alert(session, config, clock)
    report = initial_report(session, config, alert.id, author="yuqing", now=clock.now())
    edit_report(session, report.id, {"analysis": "研判：<b>谣言</b>，已请网信部门协助。"}, actor="王敏",
                version=1, now=clock.now())
    submit_report(session, report.id, actor="王敏", version=2)
    with pytest.raises(ActionRefused, match="you wrote a version"):
        review_report(session, report.id, actor="王敏", version=2)
    review_report(session, report.id, actor="赵磊", version=2)
    with pytest.raises(ActionRefused):
        approve_report(session, report.id, actor="赵磊", version=2)  # the reviewer is not the approver
    clock.advance(minutes=30)
    approve_report(session, report.id, actor="李建国", version=2, now=clock.now())
    doc = read_docx(render_report(config, report))
    assert "研判：<b>谣言</b>，已请网信部门协助。" in doc.paragraphs  # text, never markup
    assert "审核：赵磊　签发：李建国（2026年3月5日 10:30，第2版）" in doc.text
    assert "草稿" not in doc.header_xml and "未经审批" not in doc.text
    with pytest.raises(ActionRefused):
        edit_report(session, report.id, {"next": "改"}, actor="赵磊", version=2)


def test_the_escalation_mail_carries_the_initial_report(session, make_config, clock):
    import base64

    from sqlalchemy import select

    from pipeline.escalation import check_deadlines
    from pipeline.models import Notification, Report

    config = make_config(**alert_config_overrides())
    alert = _alert(session, config, clock)
    clock.advance(hours=3)
    assert check_deadlines(session, config, now=clock.now()).escalated == 1
    mail = session.scalars(select(Notification).where(Notification.recipient == "lijianguo@example.gov.cn")).one()
    [file] = mail.payload["attachments"]
    assert file["filename"] == "舆情专报-2026-第1期-初报.docx"
    doc = read_docx(base64.b64decode(file["data"]))
    assert "2026年第1期（初报）" in doc.text and "草稿" in doc.header_xml
    assert session.scalars(select(Report.alert_id)).all() == [alert.id]  # the 初报 is kept for review


def test_an_emergency_report_names_its_next_followup(session, make_config, clock):
    config = make_config(**alert_config_overrides(alerts={"rules": [{"name": "e", "categories": ["emergency"]}],
                                                          "followup_every": "2h"}))
    alert = _alert(session, config, clock, category="emergency", posts=8, sources=3, heat=40)
    doc = read_docx(render_report(config, initial_report(session, config, alert.id, author="yuqing",
                                                         now=clock.now())))
    assert "每2小时续报一次" in doc.text and "下次续报时间：2026年3月5日 12:00" in doc.text
    assert "立即启动应急响应" in doc.text  # the emergency category's handling


def test_report_template_errors_are_clear(session, make_config, clock, tmp_path):
    from pipeline.config import ConfigError
    from pipeline.exceptions import ReportTemplateError

    with pytest.raises(ConfigError, match=r"must be a Word \.docx file"):
        make_config(**alert_config_overrides(reports={"template": "office.dotx"}))
    config = make_config(**alert_config_overrides(reports={"template": "missing.docx"}))
    alert = _alert(session, config, clock)
    report = initial_report(session, config, alert.id, author="yuqing", now=clock.now())
    with pytest.raises(ReportTemplateError, match=r"missing\.docx does not exist"):
        render_report(config, report)
    (tmp_path / "broken.docx").write_bytes(b"not a zip file")
    broken = make_config(**alert_config_overrides(reports={"template": "broken.docx"}))
    with pytest.raises(ReportTemplateError, match="not a usable Word file"):
        render_report(broken, report)


def test_the_basic_facts_name_the_hot_lists_the_event_reached(session, make_config, clock):
    from sqlalchemy import select

    from pipeline.models import HotlistRank, Post
    from pipeline.store.sources import ensure_source

    config = make_config(**alert_config_overrides())
    alert = _alert(session, config, clock)
    url = session.scalars(select(Post.url).where(Post.event_id == alert.event_id)).first()
    hot = ensure_source(session, "weibo-hot", "hotlist")
    session.add(HotlistRank(source_id=hot.id, url=url, title="二孩罚款", label="微博热搜", first_seen=clock.now(),
                            last_seen=clock.now(), rank=5, peak_rank=3, minutes=40.0, history=[]))
    session.flush()
    doc = read_docx(render_report(config, initial_report(session, config, alert.id, author="yuqing",
                                                         now=clock.now())))
    assert "热榜情况：上榜 微博热搜 第3位, 在榜40分钟。" in doc.text
