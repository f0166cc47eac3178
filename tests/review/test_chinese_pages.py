"""Chinese everywhere a person reads: no English word on any page of the app, for any role.

Proper names (the configured sources and topics, user names, the product's name) and URLs are
allowed; stable English keys belong only where a machine reads (config, the JSON API, JSONL).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from lxml import html as lxml_html

from pipeline.store import audit
from tests.review.builders import NOW, USERS, add_alert, add_digest, add_event, add_item

ROLE_OF_USER = {role: name for name, role in reversed(list(USERS.items()))}
ROLES = ("analyst", "monitor", "approver", "admin")
PAGES = ["/inbox", "/inbox?sort=grade&category=rumour", "/inbox?scope=all&q=%E7%BD%9A%E6%AC%BE%20OR%20xyz",
         "/inbox/trial?q=%E7%BD%9A%E6%AC%BE", "/items/{post}", "/items/{rumour_post}", "/alerts",
         "/alerts?status=all", "/alerts/{alert}", "/alerts/{overdue}", "/drafts", "/drafts/{draft}", "/dashboard",
         "/digests", "/digests/{digest}", "/sources", "/audit", "/nosuch-page", "/items/999999",
         "/alerts/{alert}/nosuch"]
# proper names and identifiers a person may legitimately see in Latin letters
PROPER_NAMES = {"yuqing", "city-news", "tieba", "fertility", *USERS, "csv", "xlsx", "excel", "id"}
WORD = re.compile(r"[A-Za-z][A-Za-z_\-]*[A-Za-z]|[A-Za-z]")
GRADE = re.compile(r"I{1,3}|IV")  # the grades' own names (I 特别重大 … IV 一般)
URL = re.compile(r"(https?://|www\.)\S+")


def visible_words(page: str) -> list[str]:
    """Latin-letter words a reader sees: text, titles, placeholders, button labels; not URLs or code."""
    tree = lxml_html.fromstring(page)
    for node in tree.xpath("//script|//style|//head/link|//head/meta|//code"):  # <code>: identifiers
        node.drop_tree()
    texts = [t for t in tree.xpath("//text()")]
    texts += tree.xpath("//@title|//@placeholder|//@alt|//@aria-label|//input[@type='submit']/@value")
    texts += tree.xpath("//head/title/text()")
    words = []
    for text in texts:
        for word in WORD.findall(URL.sub(" ", str(text))):
            if word.lower() not in PROPER_NAMES and not GRADE.fullmatch(word):
                words.append(word)
    return words


@pytest.fixture
def ids(db, app, make_config):  # type: ignore[no-untyped-def]
    from pipeline.store.drafts import create_draft

    explanations = {"relevance": [["补贴", 0.4], ["三孩", 0.3]], "rumour": [["网传", 0.5]],
                    "sentiment": [["没有", -0.2]], "category": [["迟迟", 0.3]]}
    with db() as s, s.begin():
        event = add_event(s)
        post = add_item(s, event=event, explanations=explanations, matches=[{"topic": "fertility", "start": 0,
                                                                            "end": 2, "field": "text"}])
        rumour_event = add_event(s, title="网传二孩罚款", category="rumour")
        rumour_post = add_item(s, title="网传二孩罚款十万", text="网传新规二孩罚款十万", category="rumour",
                               rumour=0.9, sentiment="neu", event=rumour_event)
        alert = add_alert(s, event, rule="complaint")
        overdue = add_alert(s, rumour_event, rule="rumour", category="rumour", grade="III",
                            due_at=NOW - timedelta(minutes=5))
        digest = add_digest(s, '<html><body><p>日报</p><img src="cid:trend" alt="近7日走势"></body></html>')
        draft = create_draft(s, alert_id=alert.id, category="demand", body="初稿", author="mon")
        audit.record(s, "adm", "export", "inbox", None, rows=3, filter={"category": "rumour", "sort": "time"})
        audit.record(s, "ana", "label", "post", post.id, labels={"rumour": "0", "sentiment": "neg"})
        audit.record(s, "mon", "alert_status", "alert", alert.id, before="new", after="acknowledged")
        audit.record(s, "ana", "import", "source", "city-news", file="a.jsonl", rows=3)
        audit.record(s, "mon", "draft_submit", "draft", draft.id, version=1, status="reviewed")
        audit.record(s, None, "login_failed", client="127.0.0.1")
        return {"post": post.id, "rumour_post": rumour_post.id, "alert": alert.id, "overdue": overdue.id,
                "digest": digest.id, "draft": draft.id}


@pytest.mark.parametrize("role", ROLES)
def test_no_english_on_any_page(role, ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(ROLE_OF_USER[role])
    client.get(f"/items/{ids['post']}")  # audit entries of views and logins exist for the audit page
    found = {}
    for path in PAGES:
        response = client.get(path.format(**ids))
        assert response.headers["content-type"].startswith("text/html"), path
        words = visible_words(response.text)
        if words:
            found[path] = sorted(set(words))
    assert not found, "\n".join(f"{path}: {words}" for path, words in found.items())


def test_no_english_on_the_login_page(client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    assert visible_words(client.get("/login").text) == []


def test_the_error_page_keeps_the_menu_and_names_the_role_in_chinese(ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    response = client.get("/audit")
    assert response.status_code == 403
    assert "“分析员”角色不能执行此操作" in response.text
    assert 'href="/alerts"' in response.text and "退出" in response.text  # the menu bar is there
    missing = client.get("/nosuch-page")
    assert missing.status_code == 404 and "找不到该页面" in missing.text and 'href="/alerts"' in missing.text
    assert client.get("/api/nosuch").json() == {"detail": "Not Found"}  # the API stays machine-readable


def test_audit_details_are_escaped(db, client_for):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        audit.record(s, "ana", "import", "source", "x", file="<script>alert(1)</script>.jsonl", rows=1)
    client, _ = client_for("adm")
    page = client.get("/audit").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;.jsonl" in page


def test_an_old_archived_digest_shows_no_broken_mail_image(ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    body = client.get(f"/digests/{ids['digest']}/body").text
    assert "cid:" not in body and "<p>日报</p>" in body


def test_the_drafts_list_names_the_event_each_draft_answers(ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("mon")
    page = client.get("/drafts").text
    row = next(r for r in page.split("<tr>") if f'href="/drafts/{ids["draft"]}"' in r)
    assert "三孩补贴发放延迟" in row and f'href="/alerts/{ids["alert"]}"' in row


def test_favicon_is_served(client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"] in ("image/x-icon",
                                                                              "image/vnd.microsoft.icon")
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/login").text


def test_date_filters_are_written_year_month_day(ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    page = client.get("/inbox?since=2026-03-01&until=2026-03-05").text
    for name, value in (("since", "2026-03-01"), ("until", "2026-03-05")):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert field, name
        tag = field.group(0)
        assert 'type="date"' not in tag  # a date input shows the browser's locale format, e.g. 03/01/2026
        assert f'value="{value}"' in tag and 'lang="zh-CN"' in tag and "pattern=" in tag
