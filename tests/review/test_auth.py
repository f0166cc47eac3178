"""Login, sessions, CSRF, rate limiting: anonymous users get nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from pipeline.models import AuditEntry, User
from review.app import create_app
from tests.review.builders import PASSWORD, add_alert, add_digest, add_event, add_item
from tests.review.conftest import csrf_from, log_in

PAGES = ["/inbox", "/inbox.csv", "/items/{post}", "/alerts", "/alerts/{alert}", "/drafts", "/dashboard", "/digests",
         "/digests/{digest}", "/digests/{digest}/body", "/sources", "/audit"]
API_GETS = ["/api/me", "/api/inbox", "/api/items/{post}", "/api/alerts", "/api/alerts/{alert}", "/api/dashboard",
            "/api/digests", "/api/sources", "/api/openapi.json"]
POSTS = ["/items/{post}/labels", "/alerts/{alert}/status", "/alerts/{alert}/assign", "/alerts/{alert}/drafts",
         "/logout", "/api/items/{post}/labels", "/api/alerts/{alert}/status", "/api/alerts/{alert}/drafts"]


@pytest.fixture
def ids(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        event = add_event(s)
        post = add_item(s, event=event)
        alert = add_alert(s, event)
        digest = add_digest(s, "<p>日报</p>")
        return {"post": post.id, "alert": alert.id, "digest": digest.id}


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_pages_redirect_to_login(path, ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    response = client.get(path.format(**ids), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert "育儿补贴" not in response.text


@pytest.mark.parametrize("path", API_GETS)
def test_anonymous_api_is_refused(path, ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    response = client.get(path.format(**ids))
    assert response.status_code == 401
    assert response.json() == {"detail": "未登录"}


@pytest.mark.parametrize("path", POSTS)
def test_anonymous_posts_are_refused(path, ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    response = client.post(path.format(**ids), data={"status": "closed"}, follow_redirects=False)
    assert response.status_code in (303, 401)
    if path.startswith("/api"):
        assert response.status_code == 401


def test_login_sets_a_signed_httponly_samesite_cookie(client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"].lower()
    assert "yuqing_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/inbox").status_code == 200


def test_wrong_password_is_refused_and_audited(client_for, db):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"name": "ana", "password": "wrong password", "csrf_token": token})
    assert response.status_code == 401 and "用户名或密码错误" in response.text
    assert client.get("/inbox", follow_redirects=False).status_code == 303
    with db() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.user == "ana")) == "login_failed"


def test_login_form_without_csrf_token_is_rejected(client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    client.get("/login")
    response = client.post("/login", data={"name": "ana", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_login_rate_limit(make_config, review_engine, db):  # type: ignore[no-untyped-def]
    now = [0.0]
    app = create_app(make_config(review={"login_attempts_per_minute": 3}), engine=review_engine,
                     login_clock=lambda: now[0])
    with TestClient(app) as client:
        token = csrf_from(client.get("/login").text)
        for _ in range(3):
            bad = client.post("/login", data={"name": "ana", "password": "nope nope", "csrf_token": token})
            assert bad.status_code == 401
        blocked = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf_token": token})
        assert blocked.status_code == 429, "even the right password waits out the window"
        now[0] += 61
        ok = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)
        assert ok.status_code == 303


def test_login_redirects_only_to_local_paths(client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    token = csrf_from(client.get("/login").text)
    for target, expected in [("https://evil.example/", "/inbox"), ("//evil.example/x", "/inbox"),
                             ("/alerts?status=new", "/alerts?status=new")]:
        response = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf_token": token,
                                               "next": target}, follow_redirects=False)
        assert response.headers["location"] == expected
        token = csrf_from(client.get("/login").text)


def test_logout_needs_csrf_and_ends_the_session(client_for):  # type: ignore[no-untyped-def]
    client, token = client_for("ana")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/inbox").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_deactivated_user_loses_access_at_once(client_for, db):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    assert client.get("/api/me").status_code == 200
    with db() as s, s.begin():
        s.execute(update(User).where(User.name == "ana").values(active=False))
    assert client.get("/api/me").status_code == 401


def test_forms_and_api_calls_without_csrf_token_are_rejected(ids, client_for):  # type: ignore[no-untyped-def]
    client, token = client_for("adm")
    post, alert = ids["post"], ids["alert"]
    assert client.post(f"/items/{post}/labels", data={"action": "confirmed"}).status_code == 403
    assert client.post(f"/items/{post}/labels", data={"action": "confirmed", "csrf_token": "x" * 43}).status_code == 403
    assert client.post(f"/api/alerts/{alert}/status", json={"status": "closed"}).status_code == 403
    assert client.post(f"/alerts/{alert}/status", data={"status": "closed"}).status_code == 403
    assert client.get(f"/api/alerts/{alert}").json()["status"] == "new"
    assert client.post(f"/api/alerts/{alert}/status", json={"status": "closed"},
                       headers={"X-CSRF-Token": token}).json()["status"] == "closed"


def test_every_other_user_gets_a_different_csrf_token(client_for):  # type: ignore[no-untyped-def]
    _, first = client_for("ana")
    other, second = client_for("ana2")
    assert first != second
    # ana's token does not work in ana2's session
    assert other.post("/logout", data={"csrf_token": first}).status_code == 403


def test_session_log_in_helper_round_trip(client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(None)
    assert log_in(client, "appr")
    assert client.get("/api/me").json()["role"] == "approver"
