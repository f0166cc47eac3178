"""The review app in Debian's chromium (Playwright) against a real uvicorn server.

Log in, filter the inbox, label an item, write a draft and take it through review and
approval with other users; read the alert page, the inbox and the dashboard on a phone (390 px).
Screenshots of the inbox, an item and the phone pages go to a temporary folder, or with
``pytest --screenshots docs/screenshots`` to the ones README.md shows.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.review.builders import NOW, PASSWORD, add_alert, add_event, add_item

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ITEMS = [  # category, source, title, text, relevance, rumour
    ("rumour", "weibo", "网传“二孩罚款十万”系谣言",
     "网传新规：从下月起生育二孩要交十万元罚款，紧急扩散！经核实，社会抚养费早已取消，此消息不实。",
     0.97, 0.93),
    ("demand", "city-news", "三孩育儿补贴迟迟未到账",
     "我家去年办理了生育登记，三孩育儿补贴到现在还没有发放，打电话也没人接，希望有关部门尽快回应。",
     0.91, 0.12),
    ("criticism", "forum", "乡镇计生干部作风粗暴被投诉",
     "有网友发帖反映某乡镇计生干部上门时态度粗暴、刁难群众，要求上级部门调查处理。",
     0.88, 0.20),
    ("misunderstanding", "weibo", "以为独生子女奖励已取消",
     "不少网友以为独生子女父母奖励扶助政策已经取消，其实政策仍在执行，只是标准有所调整。",
     0.79, 0.35),
    ("hot_issue", "city-news", "育儿补贴新政引发网友热议",
     "关于育儿补贴的新政策发布后，网友热议补贴标准和申领流程，相关话题登上热搜。",
     0.84, 0.08),
    ("demand", "forum", "生育保险报销流程咨询",
     "请问生育津贴和生育保险报销需要哪些材料？在哪里办理？",
     0.73, 0.05),
]


def _free_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def server(app, db) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app under a real uvicorn on a free local port; yields its base URL."""
    import uvicorn

    with db() as s, s.begin():
        event = add_event(s, title="网传“二孩罚款十万”", category="rumour", heat=12.5)
        add_alert(s, event, grade="I", category="rumour", rule="rumour", due_at=NOW + timedelta(minutes=40))
        other = add_event(s, title="三孩育儿补贴发放延迟", heat=6.0)
        add_alert(s, other, grade="III", status="acknowledged", rule="complaint")
        for n, (category, source, title, text, relevance, rumour) in enumerate(ITEMS):
            start = text.find("补贴") if "补贴" in text else text.find("生育")
            add_item(s, title=title, text=text, category=category, source=source, relevance=relevance,
                     rumour=rumour, negative=0.7 if category in ("rumour", "criticism") else 0.3,
                     event=event if category == "rumour" else other if n == 1 else None,
                     published_at=NOW - timedelta(minutes=25 * n + 5),
                     matches=[{"term": text[start:start + 2], "field": "body", "start": start, "end": start + 2,
                               "topic": "fertility"}] if start >= 0 else [],
                     explanations={"relevance": [["生育", 0.81], ["补贴", 0.64], ["明星", -0.3]],
                                   "rumour": [["网传", 1.2], ["紧急扩散", 0.9]]})
        add_item(s, title="网友转发：二孩罚款十万？", text="又看到有人转发二孩罚款十万的说法，到底是真是假？",
                 category="rumour", source="forum", event=event, published_at=NOW - timedelta(hours=4), rumour=0.8)
    sock = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    while not server.started and thread.is_alive():
        ready.wait(0.02)  # readiness poll (not a timing assumption): returns as soon as uvicorn is up
    host, port = sock.getsockname()
    yield f"http://{host}:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is required under CI")
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        yield browser
        browser.close()


def _login(browser, base: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/inbox")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/inbox")
    page.errors = errors
    return page


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder: Path = request.config.getoption("--screenshots") or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_triage_label_and_approve_a_draft(server, browser, shots):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    ana = _login(browser, server, "ana")
    expect(ana.locator("h1")).to_contain_text("共 7 条")
    ana.screenshot(path=str(shots / "inbox.png"), full_page=True)
    ana.select_option("select[name=category]", "rumour")
    ana.click("#filters button[type=submit]")
    ana.wait_for_url("**category=rumour**")
    expect(ana.locator("h1")).to_contain_text("共 2 条")
    expect(ana.locator("table.list tbody tr")).to_have_count(2)

    ana.click("text=网传“二孩罚款十万”系谣言")
    expect(ana.locator("article.post mark")).to_have_count(1)
    expect(ana.locator(".countdown")).to_contain_text("剩余")  # the script keeps it live
    ana.screenshot(path=str(shots / "item.png"), full_page=True)
    ana.click("button:has-text('确认属实')")
    expect(ana.locator("ul.labels")).to_contain_text("判定 = 确认")

    ana.click(".side a[href^='/alerts/']")
    ana.click("button:has-text('模板起草回应稿')")
    expect(ana.locator("textarea[name=body]")).to_contain_text("谣言")
    ana.fill("textarea[name=body]", ana.input_value("textarea[name=body]") + "\n经核实，社会抚养费已于2021年取消。")
    ana.click("button:has-text('保存修改')")
    expect(ana.locator("h1")).to_contain_text("第 2 版")
    ana.click("button:has-text('提交审核')")
    expect(ana.locator("h1")).to_contain_text("已提交审核")
    expect(ana.locator("button:has-text('审核通过')")).to_have_count(0)  # not for the author
    draft_url = ana.url

    mon = _login(browser, server, "mon")
    mon.goto(draft_url)
    mon.click("button:has-text('审核通过')")
    expect(mon.locator("#draft-status")).to_have_text("已审核")
    expect(mon.locator("button:has-text('批准发布')")).to_have_count(0)  # a monitor cannot approve

    appr = _login(browser, server, "appr")
    appr.goto(draft_url)
    appr.click("button:has-text('批准发布')")
    expect(appr.locator("#draft-status")).to_have_text("已批准")
    expect(appr.locator("ol.history li")).to_have_count(5)
    for page in (ana, mon, appr):
        assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
    for name in ("inbox.png", "item.png"):
        assert (shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (shots / name).stat().st_size > 10_000


# --- phone width: the monitor on duty reads alerts on a phone -----------------------------------

PHONE = {"width": 390, "height": 844}


def _phone_login(browser: Any, base: str, name: str) -> Any:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/inbox")
    return page


def _fits_the_screen(page: Any) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the phone"
    # the menu wraps by whole items: each link on one line, none cut to a character per line
    heights = page.eval_on_selector_all("header.top nav a", "els => els.map(e => e.getBoundingClientRect().height)")
    line = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('header.top nav a')).lineHeight)")
    assert heights and max(heights) < 1.5 * line, heights
    # nothing the reader needs lies beyond the right edge
    outside = page.eval_on_selector_all(
        "main a, main td, main h1, main button",
        "els => els.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > "
        "window.innerWidth + 1; }).map(e => e.textContent.trim().slice(0, 30))")
    assert outside == [], outside


def test_alert_inbox_and_dashboard_work_at_390px(server, browser, shots):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    mon = _phone_login(browser, server, "mon")
    _fits_the_screen(mon)
    first = mon.locator("table.list tbody tr").first
    expect(first.locator("td.title a")).to_be_visible()
    expect(mon.locator("table.list thead")).to_be_hidden()  # no header row: cells carry their labels
    label = first.locator("td[data-label='来源']").evaluate("e => getComputedStyle(e, '::before').content")
    assert "来源" in label
    mon.screenshot(path=str(shots / "inbox-phone.png"), full_page=True)

    mon.goto(f"{server}/alerts")
    _fits_the_screen(mon)
    mon.click("table.list tbody tr >> nth=0 >> td.title a")
    mon.wait_for_url("**/alerts/*")
    _fits_the_screen(mon)
    expect(mon.locator(".countdown").first).to_contain_text("剩余")
    expect(mon.locator("button:has-text('确认接收')")).to_be_visible()
    mon.screenshot(path=str(shots / "alert-phone.png"), full_page=True)

    mon.goto(f"{server}/dashboard")
    _fits_the_screen(mon)
    expect(mon.locator(".stats .stat").first).to_be_visible()
    mon.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
    for name in ("inbox-phone.png", "alert-phone.png", "dashboard-phone.png"):
        assert (shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_archived_digest_is_shown_whole_without_a_frame_scrollbar(server, browser, db):  # type: ignore[no-untyped-def]
    from tests.review.builders import add_digest

    rows = "".join(f"<tr><td>第{i}行</td><td>事件{i}</td></tr>" for i in range(120))  # a long digest
    with db() as s, s.begin():
        digest_id = add_digest(s, f"<html><body><h1>舆情日报</h1><table>{rows}</table></body></html>").id
    page = _login(browser, server, "ana")
    page.goto(f"{server}/digests/{digest_id}")
    frame = page.frame_locator("iframe.digest")
    frame.locator("text=第119行").wait_for()
    page.wait_for_function("""() => { const f = document.querySelector('iframe.digest');
        return f.contentDocument
            && f.getBoundingClientRect().height >= f.contentDocument.documentElement.scrollHeight; }""")
    inner = page.evaluate("() => document.querySelector('iframe.digest').contentDocument.documentElement.scrollHeight")
    assert inner > 2000  # the whole digest is in the page, which scrolls as one
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
