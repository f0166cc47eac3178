"""Sessions end when they should: a cookie saved before logout, a password change or
`user disable` is refused afterwards, on pages and API calls alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pipeline.store.users import disable_user, enable_user, set_password
from tests.review.builders import PASSWORD, add_alert, add_event


@pytest.fixture
def alert_id(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        return add_alert(s, add_event(s)).id


def _replay(app, cookie: str) -> TestClient:  # type: ignore[no-untyped-def]
    """A fresh client carrying only a saved session cookie (what a thief would replay)."""
    client = TestClient(app, base_url="http://127.0.0.1")
    client.cookies.set("yuqing_session", cookie)
    return client


def _assign(client: TestClient, alert_id: int, token: str) -> int:
    return client.post(f"/api/alerts/{alert_id}/assign", json={"assignee": "mon"},
                       headers={"X-CSRF-Token": token}).status_code


def test_a_cookie_replayed_after_logout_is_refused(app, client_for, alert_id):  # type: ignore[no-untyped-def]
    client, token = client_for("mon")
    saved = client.cookies["yuqing_session"]
    assert _replay(app, saved).get("/api/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    thief = _replay(app, saved)
    assert thief.get("/api/me").status_code == 401
    assert _assign(thief, alert_id, token) == 401
    assert thief.get("/inbox", follow_redirects=False).status_code == 303


def test_disable_ends_sessions_and_enable_does_not_revive_them(app, client_for, db, alert_id):  # type: ignore[no-untyped-def]
    client, token = client_for("mon")
    saved = client.cookies["yuqing_session"]
    with db() as s, s.begin():
        disable_user(s, "mon", actor="adm")
    assert _replay(app, saved).get("/api/me").status_code == 401
    assert _assign(_replay(app, saved), alert_id, token) == 401
    with db() as s, s.begin():
        enable_user(s, "mon", actor="adm")
    assert _replay(app, saved).get("/api/me").status_code == 401, "an old cookie stays dead"
    fresh, _ = client_for("mon")
    assert fresh.get("/api/me").status_code == 200


def test_a_password_change_ends_the_other_sessions(app, client_for, db):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    saved = client.cookies["yuqing_session"]
    with db() as s, s.begin():
        set_password(s, "ana", PASSWORD + " new", actor="adm")
    assert _replay(app, saved).get("/api/me").status_code == 401
    assert client_for("ana2")[0].get("/api/me").status_code == 200, "other users keep their sessions"


@pytest.mark.parametrize(("review", "secure"), [
    ({"base_url": "https://yuqing.example.org/"}, True),
    ({"base_url": "http://127.0.0.1:8080/", "https_only": True}, True),
    ({"base_url": "http://127.0.0.1:8080/"}, False),
])
def test_the_cookie_is_secure_when_the_app_is_served_over_https(review, secure, make_config, review_engine, db):  # type: ignore[no-untyped-def]
    from review.app import create_app
    from tests.review.conftest import csrf_from

    app = create_app(make_config(review=review), engine=review_engine)
    with TestClient(app, base_url="https://127.0.0.1") as client:
        token = csrf_from(client.get("/login").text)
        response = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False)
    assert response.status_code == 303
    assert ("; secure" in response.headers["set-cookie"].lower()) is secure
