"""Every route for every role: who may see and do what."""

from __future__ import annotations

import pytest

from tests.review.builders import USERS, add_alert, add_digest, add_event, add_item

ROLE_OF_USER = {role: name for name, role in reversed(list(USERS.items()))}
ROLES = ("analyst", "monitor", "approver", "admin")
VIEW_PAGES = ["/inbox", "/items/{post}", "/alerts", "/alerts?status=all", "/alerts/{alert}", "/drafts",
              "/drafts/{draft}", "/dashboard", "/digests", "/digests/{digest}", "/digests/{digest}/body", "/sources",
              "/api/me", "/api/inbox", "/api/items/{post}", "/api/alerts", "/api/alerts/{alert}", "/api/drafts/{draft}",
              "/api/dashboard", "/api/digests", "/api/sources", "/api/openapi.json"]
# (method path, form or json, roles allowed)
ACTIONS = [
    ("/items/{post}/labels", {"action": "confirmed"}, {"analyst", "monitor", "admin"}),
    ("/api/items/{post}/labels", {"json": {"rumour": "0"}}, {"analyst", "monitor", "admin"}),
    ("/alerts/{alert}/assign", {"assignee": "mon"}, {"monitor", "approver", "admin"}),
    ("/api/alerts/{alert}/assign", {"json": {"assignee": "ana"}}, {"monitor", "approver", "admin"}),
    ("/alerts/{alert}/status", {"status": "acknowledged"}, {"monitor", "approver", "admin"}),
    ("/api/alerts/{alert}/status", {"json": {"status": "acknowledged"}}, {"monitor", "approver", "admin"}),
    ("/alerts/{alert}/drafts", {}, {"analyst", "monitor", "admin"}),
    ("/api/alerts/{alert}/drafts", {"json": {}}, {"analyst", "monitor", "admin"}),
    ("/drafts/{draft}/edit", {"body": "新的回应稿内容", "version": "1"}, {"analyst", "monitor", "admin"}),
    ("/api/drafts/{draft}/submit", {"json": {"version": 1}}, {"analyst", "monitor", "admin"}),
]


@pytest.fixture
def ids(db, app):  # type: ignore[no-untyped-def]
    from pipeline.store.drafts import create_draft

    with db() as s, s.begin():
        event = add_event(s)
        post = add_item(s, event=event)
        alert = add_alert(s, event)
        digest = add_digest(s, "<p>日报</p>")
        draft = create_draft(s, alert_id=alert.id, category="demand", body="初稿", author="someone-else")
        return {"post": post.id, "alert": alert.id, "digest": digest.id, "draft": draft.id}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_every_page(role, ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(ROLE_OF_USER[role])
    for path in VIEW_PAGES:
        response = client.get(path.format(**ids))
        assert response.status_code == 200, (role, path, response.text[:300])


@pytest.mark.parametrize("role", ROLES)
def test_audit_log_and_export_by_role(role, ids, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for(ROLE_OF_USER[role])
    assert client.get("/audit").status_code == (200 if role == "admin" else 403)
    assert client.get("/inbox.csv").status_code == (200 if role in ("analyst", "monitor", "admin") else 403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "payload", "allowed"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_actions_by_role(role, path, payload, allowed, ids, client_for):  # type: ignore[no-untyped-def]
    client, token = client_for(ROLE_OF_USER[role])
    url = path.format(**ids)
    if "json" in payload:
        response = client.post(url, json=payload["json"], headers={"X-CSRF-Token": token}, follow_redirects=False)
        ok = {200}
    else:
        response = client.post(url, data={**payload, "csrf_token": token}, follow_redirects=False)
        ok = {303}
    if role in allowed:
        assert response.status_code in ok, (role, url, response.text[:300])
    else:
        assert response.status_code == 403, (role, url, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_only_approvers_and_admins_approve(role, db, ids, client_for):  # type: ignore[no-untyped-def]
    from pipeline.models import ResponseDraft

    with db() as s, s.begin():
        draft = s.get_one(ResponseDraft, ids["draft"])
        draft.status, draft.reviewer = "reviewed", "ana2"
    client, token = client_for(ROLE_OF_USER[role])
    response = client.post(f"/drafts/{ids['draft']}/approve", data={"version": "1", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == (303 if role in ("approver", "admin") else 403)
    api = client.post(f"/api/drafts/{ids['draft']}/approve", json={"version": 1}, headers={"X-CSRF-Token": token})
    # approved already by an allowed role (409), or refused by role (403)
    assert api.status_code == (409 if role in ("approver", "admin") else 403)
