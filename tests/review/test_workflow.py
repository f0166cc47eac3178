"""Alerts (status, countdown, assignment) and response drafts (template, edit, review, approve)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipeline.models import Alert, AuditEntry, DraftRevision, ResponseDraft
from tests.review.builders import NOW, add_alert, add_event, add_item


@pytest.fixture
def alert_id(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        event = add_event(s, title="网传二孩罚款", category="rumour")
        add_item(s, title="网传二孩罚款十万", text="网传新规二孩罚款十万", event=event, category="rumour")
        return add_alert(s, event, category="rumour", due_at=NOW + timedelta(minutes=50)).id


def test_alert_moves_through_its_statuses_with_a_countdown(alert_id, client_for, db, review_clock):  # type: ignore[no-untyped-def]
    client, token = client_for("mon")
    assert "剩余 0:50:00" in client.get(f"/alerts/{alert_id}").text
    review_clock.advance(hours=1)
    assert "已超时 0:10:00" in client.get(f"/alerts/{alert_id}").text
    assert client.get("/api/dashboard").json()["overdue_alerts"] == [alert_id]
    for status in ("acknowledged", "responding", "closed"):
        r = client.post(f"/alerts/{alert_id}/status", data={"status": status, "csrf_token": token})
        assert r.status_code == 200
    assert client.post(f"/alerts/{alert_id}/status", data={"status": "new", "csrf_token": token}).status_code == 409
    with db() as s:
        alert = s.get_one(Alert, alert_id)
        assert alert.status == "closed" and alert.acknowledged_by == "mon" and alert.closed_at is not None
        actions = [e.detail["after"] for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "alert_status"))]
        assert actions == ["acknowledged", "responding", "closed"]


def test_assign_only_to_an_existing_user(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    client, token = client_for("mon")
    assert client.post(f"/alerts/{alert_id}/assign", data={"assignee": "ana", "csrf_token": token}).status_code == 200
    assert client.post(f"/alerts/{alert_id}/assign", data={"assignee": "ghost", "csrf_token": token}).status_code == 409
    with db() as s:
        assert s.get_one(Alert, alert_id).assignee == "ana"


def _draft(db):  # type: ignore[no-untyped-def]
    with db() as s:
        return s.scalars(select(ResponseDraft)).one()


def test_draft_from_template_edit_review_approve(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    author, a_token = client_for("ana")
    page = author.post(f"/alerts/{alert_id}/drafts", data={"csrf_token": a_token})
    assert page.status_code == 200 and "网传" in page.text  # the rumour template with the event's claim
    draft = _draft(db)
    assert draft.author == "ana" and draft.status == "draft" and draft.category == "rumour"
    body = draft.body.replace("【待核实", "【已核实") + "\n补充说明。"
    author.post(f"/drafts/{draft.id}/edit", data={"body": body, "version": "1", "csrf_token": a_token})
    author.post(f"/drafts/{draft.id}/submit", data={"version": "2", "csrf_token": a_token})
    # the author can neither review nor approve their own draft
    assert author.post(f"/drafts/{draft.id}/review", data={"version": "2", "csrf_token": a_token}).status_code == 409
    reviewer, r_token = client_for("ana2")
    assert reviewer.post(f"/drafts/{draft.id}/review", data={"version": "2", "csrf_token": r_token}).status_code == 200
    # an analyst may review but not approve
    assert reviewer.post(f"/drafts/{draft.id}/approve", data={"version": "2", "csrf_token": r_token}).status_code == 403
    approver, p_token = client_for("appr")
    done = approver.post(f"/drafts/{draft.id}/approve", data={"version": "2", "csrf_token": p_token})
    assert done.status_code == 200 and "已批准" in done.text
    draft = _draft(db)
    assert (draft.status, draft.author, draft.reviewer, draft.approver, draft.version) == \
        ("approved", "ana", "ana2", "appr", 2)
    with db() as s:
        history = [(r.version, r.action, r.actor) for r in s.scalars(select(DraftRevision).order_by(DraftRevision.id))]
    assert history == [(1, "create", "ana"), (2, "edit", "ana"), (2, "submit", "ana"), (2, "review", "ana2"),
                       (2, "approve", "appr")]
    html = approver.get(f"/drafts/{draft.id}").text
    assert "版本历史" in html and "补充说明。" in html


def test_author_cannot_approve_own_draft_even_as_approver(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    approver, a_token = client_for("appr")
    assert approver.post(f"/alerts/{alert_id}/drafts", data={"csrf_token": a_token}).status_code == 403
    # approvers do not write drafts, so an admin (who may both write and approve) writes one
    admin, m_token = client_for("adm")
    admin.post(f"/alerts/{alert_id}/drafts", data={"csrf_token": m_token})
    draft = _draft(db)
    assert draft.author == "adm"
    admin.post(f"/drafts/{draft.id}/submit", data={"version": "1", "csrf_token": m_token})
    reviewer, r_token = client_for("mon")
    reviewer.post(f"/drafts/{draft.id}/review", data={"version": "1", "csrf_token": r_token})
    refused = admin.post(f"/drafts/{draft.id}/approve", data={"version": "1", "csrf_token": m_token})
    assert refused.status_code == 409 and "author cannot approve" in refused.text
    api = admin.post(f"/api/drafts/{draft.id}/approve", json={"version": 1}, headers={"X-CSRF-Token": m_token})
    assert api.status_code == 409
    # and the reviewer cannot also approve
    assert _draft(db).status == "reviewed"


def test_stale_form_and_edit_after_review(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    author, token = client_for("ana")
    author.post(f"/alerts/{alert_id}/drafts", data={"csrf_token": token})
    draft = _draft(db)
    author.post(f"/drafts/{draft.id}/edit", data={"body": "第二版", "version": "1", "csrf_token": token})
    stale = author.post(f"/drafts/{draft.id}/edit", data={"body": "基于旧版", "version": "1", "csrf_token": token})
    assert stale.status_code == 409 and "请刷新" in stale.text
    author.post(f"/drafts/{draft.id}/submit", data={"version": "2", "csrf_token": token})
    reviewer, r_token = client_for("mon")
    reviewer.post(f"/drafts/{draft.id}/review", data={"version": "2", "csrf_token": r_token})
    author.post(f"/drafts/{draft.id}/edit", data={"body": "第三版", "version": "2", "csrf_token": token})
    draft = _draft(db)
    assert (draft.status, draft.reviewer, draft.version) == ("draft", None, 3), "an edit voids the review"
    approver, p_token = client_for("appr")
    assert approver.post(f"/drafts/{draft.id}/approve", data={"version": "3", "csrf_token": p_token}).status_code == 409


def test_an_alert_whose_posts_retention_deleted_still_shows_and_drafts(client_for, db, make_config):  # type: ignore[no-untyped-def]
    from pipeline.retention import apply_retention

    with db() as s, s.begin():
        event = add_event(s, title="两年前的谣言", category="rumour", at=NOW - timedelta(days=800))
        post = add_item(s, title="网传二孩罚款十万", text="网传新规二孩罚款十万", event=event, category="rumour",
                        published_at=NOW - timedelta(days=800))
        post.fetched_at = post.processed_at = NOW - timedelta(days=800)
        old_id = add_alert(s, event, category="rumour", status="closed", due_at=NOW - timedelta(days=799)).id
    report = apply_retention(db, make_config(retention={"posts": "730d"}), now=NOW)
    assert report.posts == 1 and report.events == 0  # the alert keeps its event
    client, token = client_for("ana")
    page = client.get(f"/alerts/{old_id}")
    assert page.status_code == 200 and "两年前的谣言" in page.text
    assert client.post(f"/alerts/{old_id}/drafts", data={"csrf_token": token}).status_code == 200
    assert client.get("/inbox").status_code == 200
