"""Hostile crawled text renders inert everywhere it appears: inbox, item, digest, export, API."""

from __future__ import annotations

import csv
import io

import pytest

from review.csv_export import safe_cell
from review.rendering import highlight, safe_url
from tests.review.builders import add_alert, add_digest, add_event, add_item

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
TITLE = f"标题{SCRIPT}"
TEXT = f"正文{IMG}<a href=\"javascript:alert(3)\">点我</a> =HYPERLINK(\"http://evil\")"
EVIL_URL = "javascript:alert(4)//https://x"


@pytest.fixture
def hostile(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        event = add_event(s, title=f"事件{SCRIPT}")
        add_alert(s, event)
        post = add_item(s, title=TITLE, text=TEXT, url=EVIL_URL, event=event, source="weibo",
                        matches=[{"term": "正文", "field": "body", "start": 0, "end": 2, "topic": f"t{SCRIPT}"},
                                 {"term": "x", "field": "body", "start": 3, "end": 400, "topic": "out of range"}],
                        explanations={"relevance": [[IMG, 1.0]]})
        digest = add_digest(s, f"<html><body><h1>日报</h1><p>{SCRIPT}</p></body></html>")
        return post.id, digest.id


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html and "onerror=\"alert" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html


def test_inbox_and_item_escape_hostile_text(hostile, client_for):  # type: ignore[no-untyped-def]
    post_id, _ = hostile
    client, _ = client_for("ana")
    inbox = client.get("/inbox")
    assert_inert(inbox.text)
    item = client.get(f"/items/{post_id}")
    assert_inert(item.text)
    assert "<mark" in item.text and "&lt;img src=x onerror" in item.text
    assert "javascript:alert(4)" in item.text and 'href="javascript' not in item.text  # shown as text, not a link
    for page in (inbox, item):
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert page.headers["x-frame-options"] == "DENY"


def test_digest_is_framed_in_a_sandbox_with_its_own_policy(hostile, client_for):  # type: ignore[no-untyped-def]
    _, digest_id = hostile
    client, _ = client_for("ana")
    page = client.get(f"/digests/{digest_id}").text
    assert f'src="/digests/{digest_id}/body" sandbox="allow-same-origin"' in page  # no allow-scripts
    assert "allow-scripts" not in page
    body = client.get(f"/digests/{digest_id}/body")
    csp = body.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert "allow-scripts" not in csp
    assert body.headers["x-frame-options"] == "SAMEORIGIN"


def test_export_is_formula_safe_and_api_drops_bad_links(hostile, client_for):  # type: ignore[no-untyped-def]
    post_id, _ = hostile
    client, _ = client_for("ana")
    rows = list(csv.reader(io.StringIO(client.get("/inbox.csv").content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert row[header.index("标题")] == TITLE  # CSV is data, not HTML: kept verbatim
    assert row[header.index("链接")] == EVIL_URL
    item = client.get(f"/api/items/{post_id}").json()
    assert item["url"] is None
    assert client.get("/api/inbox").json()["items"][0]["url"] is None


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=1"])
def test_formula_cells_are_neutralised(cell):  # type: ignore[no-untyped-def]
    assert safe_cell(cell) == "'" + cell
    assert safe_cell("普通文本") == "普通文本"


def test_highlight_escapes_then_marks():  # type: ignore[no-untyped-def]
    text = "<b>补贴</b>补贴"
    assert str(highlight(text, [(3, 5, "t"), (9, 11, "t")])) == \
        '&lt;b&gt;<mark title="t">补贴</mark>&lt;/b&gt;<mark title="t">补贴</mark>'
    assert str(highlight("abc", [(1, 2, "x"), (1, 3, "y"), (5, 9, "bad"), (-1, 1, "bad")])) == \
        'a<mark title="x">bc</mark>'


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:x", "data:text/html,x",
                                 "vbscript:x", "//evil.example", "http://", "https://x/\"onmouseover=alert(1)"])
def test_only_http_links_are_links(url):  # type: ignore[no-untyped-def]
    assert safe_url(url) is None
    assert safe_url("https://news.example.cn/a/1.html?x=1") == "https://news.example.cn/a/1.html?x=1"
