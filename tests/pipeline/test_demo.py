"""`yuqing demo --no-serve --out DIR`, run as a newcomer runs it, twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from pipeline.demo.site import load_content

pytestmark = pytest.mark.slow

DIGEST_SECTIONS = ("总体情况", "分布", "热点事件", "预警", "谣言与回应", "回应效果评估", "来源状况", "热搜上榜")


def run_demo(out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    return subprocess.run([sys.executable, "-m", "pipeline", "demo", "--no-serve", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)


def alert_mails(out: Path) -> dict[str, str]:
    """Alert mails written by the demo: subject → plain-text body."""
    mails = {}
    for path in sorted((out / "mail").glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        subject = str(message["Subject"])
        if subject.startswith("【舆情预警"):
            body = message.get_body(("plain",))
            mails[subject] = body.get_content() if body is not None else ""
    return mails


def alert_subjects(out: Path) -> list[str]:
    return list(alert_mails(out))


def expected(kind: str) -> list[str]:
    """Titles of the demo items whose `expect` is ``kind`` (news articles and forum threads)."""
    content = load_content()
    titles = [n["title"] for n in content["news"] if n["expect"] == kind]
    for thread in content["forum"]["threads"]:
        if any(p["expect"] == kind for p in thread["posts"][:1]):
            titles.append(thread["title"])
    return titles


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return out


def stories() -> dict[str, list[str]]:
    """Titles of the items that report the same happening, by story."""
    content = load_content()
    grouped: dict[str, list[str]] = {}
    for item in [*content["news"], *content["forum"]["threads"]]:
        if "story" in item:
            grouped.setdefault(item["story"], []).append(item["title"])
    return grouped


def test_alert_mails_for_rumour_and_emergency(demo_out: Path) -> None:
    subjects = alert_subjects(demo_out)
    grouped = stories()
    for title in expected("alert"):
        story = next((titles for titles in grouped.values() if title in titles), [title])
        assert any(t in s for t in story for s in subjects), (title, subjects)
    emergency = [body for subject, body in alert_mails(demo_out).items()
                 if any(t in subject for t in grouped["maternal-death"])]
    assert any("类别：突发事件" in body for body in emergency), emergency
    rumour = [body for subject, body in alert_mails(demo_out).items()
              if any(t in subject for t in grouped["fine-rumour"])]
    assert rumour and all("类别：谣言、不实信息" in body and "【待核实" in body for body in rumour)


def test_the_hot_list_entry_raises_its_上榜_alert(demo_out: Path) -> None:
    """The relevant 微博热搜 entry raises (or raises to) a grade-II alert whose mail says where it ranks;
    it may join the story of a complaint already alerted, then the mail is that alert's upgrade."""
    entries = load_content()["hotlist"]
    [hot] = [e for e in entries if e["expect"] == "alert"]
    rank = [e for e in entries if not e.get("is_ad")].index(hot) + 1
    mails = {}
    for path in sorted((demo_out / "mail").glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = message.get_body(("plain",))
        mails[str(message["Subject"])] = body.get_content() if body is not None else ""
    hot_mails = [subject for subject, body in mails.items() if f"上榜 微博热搜 第{rank}位, 在榜0分钟" in body]
    assert any("II级" in subject and "预警" in subject for subject in hot_mails), mails.keys()
    for other in (e for e in entries if e["expect"] == "none"):
        assert not any(other["word"] in s for s in mails), other
    (digest,) = demo_out.glob("digest-*.html")
    assert f"第{rank}位" in digest.read_text(encoding="utf-8")


def test_nothing_alerted_for_unrelated_posts(demo_out: Path) -> None:
    subjects = alert_subjects(demo_out)
    for title in expected("none"):
        assert not any(title in s for s in subjects), (title, subjects)


def test_digest_has_every_section_and_the_chart(demo_out: Path) -> None:
    (digest,) = demo_out.glob("digest-*.html")
    html = digest.read_text(encoding="utf-8")
    for section in DIGEST_SECTIONS:
        assert section in html, section
    assert "data:image/png;base64," in html
    assert list((demo_out / "mail").glob("*digest*.eml")), "the digest mail was written too"
    sources = html.split("七、来源状况")[1]
    assert "demo-news" in sources and "demo-forum" in sources  # disabled in its config, still reported
    assert "数据完整" in html


@pytest.fixture(scope="module")
def second_run(demo_out: Path) -> subprocess.CompletedProcess[str]:
    """`yuqing demo` run again in the same folder (it starts afresh)."""
    return run_demo(demo_out)


def test_summary_and_second_run(demo_out: Path, second_run: subprocess.CompletedProcess[str]) -> None:
    again = second_run
    assert again.returncode == 0, again.stderr
    out = again.stdout
    assert "posts crawled   26" in out  # 19 articles and forum posts, 7 hot-list entries
    assert "alerts by grade" in out and "password: demo-" in out
    assert "yuqing --config" in out and "serve" in out
    assert len(alert_subjects(demo_out)) >= len(expected("alert")), "the second run starts afresh"


def test_demo_writes_the_initial_report_of_its_most_severe_alert_and_a_weekly_report(demo_out: Path) -> None:
    import sqlite3

    from tests.reports_support import read_docx

    with sqlite3.connect(demo_out / "yuqing.db") as db:
        grade, title = db.execute("SELECT a.grade, e.title FROM alerts a JOIN events e ON e.id = a.event_id "
                                  "ORDER BY a.grade, a.category != 'emergency', a.id LIMIT 1").fetchone()
    (initial,) = demo_out.glob("舆情专报-*-初报.docx")
    doc = read_docx(initial.read_bytes())
    assert f"预警等级为{grade}级" in doc.text and title in doc.text
    assert "一、基本情况" in doc.paragraphs and doc.images == 1
    (weekly,) = demo_out.glob("舆情周报-*.docx")
    week = read_docx(weekly.read_bytes())
    assert "一、总体情况" in week.paragraphs and week.images == 2


def _yuqing(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, timeout=120,
                          env=env, stdin=subprocess.DEVNULL)


def test_the_summary_counts_as_the_digest_does(demo_out: Path, second_run: subprocess.CompletedProcess[str]
                                               ) -> None:
    result = second_run
    assert result.returncode == 0, result.stderr
    (digest,) = demo_out.glob("digest-*.html")
    html = digest.read_text(encoding="utf-8")
    card = re.search(r"疑似谣言</div><div class=\"big\">(\d+)", html)
    by_category = re.search(r"<td>谣言、不实信息</td><td class=\"num\">(\d+)", html)
    shown = re.search(r"rumours\s+(\d+)", result.stdout)
    assert card and by_category and shown
    assert shown.group(1) == card.group(1) == by_category.group(1)
    mails = re.search(r"mails\s+(\d+) alert mails, (\d+) digest mails", result.stdout)
    assert mails, result.stdout
    assert int(mails.group(1)) == len(alert_subjects(demo_out)) and int(mails.group(2)) == 2


def test_the_journalists_debunk_is_not_an_unanswered_rumour(demo_out: Path) -> None:
    (digest,) = demo_out.glob("digest-*.html")
    section = digest.read_text(encoding="utf-8").split("五、谣言与回应")[1].split("六、")[0]
    assert "记者求证" not in section
    rumour_row = next(row for row in section.split("<tr>") if "生二胎要交10万" in row)
    assert "已有辟谣报道" in rumour_row


def test_the_demo_config_keeps_working_after_the_demo(demo_out: Path) -> None:
    config = str(demo_out / "config.yaml")
    assert _yuqing("--config", config, "check-config").returncode == 0
    crawl = _yuqing("--config", config, "crawl")
    assert crawl.returncode == 0, crawl.stderr
    assert "no enabled sources" in crawl.stdout and "demo-news" in crawl.stdout
    status = _yuqing("--config", config, "status")
    assert status.returncode == 0 and "UNHEALTHY" not in status.stdout
    header = (demo_out / "config.yaml").read_text(encoding="utf-8").split("\nsources:")[0]
    assert "runs only while `yuqing demo` runs" in header


def test_each_story_of_the_demo_is_one_event_with_one_alert(demo_out: Path) -> None:
    """The maternal death reported by the news site and the forum, and the rumour with its debunk,
    are one event each (story-level events), so each raises one alert."""
    import sqlite3

    content = load_content()
    stories: dict[str, list[str]] = {}
    for item in content["news"]:
        if "story" in item:
            stories.setdefault(item["story"], []).append(item["title"])
    for thread in content["forum"]["threads"]:
        if "story" in thread:
            stories.setdefault(thread["story"], []).append(thread["title"])
    with sqlite3.connect(demo_out / "yuqing.db") as db:
        for story, titles in stories.items():
            marks = ",".join("?" * len(titles))
            events = {e for (e,) in db.execute(f"SELECT event_id FROM posts WHERE title IN ({marks})", titles)}
            assert len(events) == 1 and None not in events, (story, events)
            (alerts,) = db.execute("SELECT count(*) FROM alerts WHERE event_id = ?", (events.pop(),)).fetchone()
            assert alerts == 1, story
