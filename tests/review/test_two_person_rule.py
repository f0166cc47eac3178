"""The two-person rule holds through the API: whoever rewrote a draft may not review or approve it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipeline.models import ResponseDraft
from tests.review.builders import NOW, add_alert, add_event, add_item


@pytest.fixture
def alert_id(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        event = add_event(s, title="网传二孩罚款", category="rumour")
        add_item(s, title="网传二孩罚款十万", text="网传新规二孩罚款十万", event=event, category="rumour")
        return add_alert(s, event, category="rumour", due_at=NOW + timedelta(minutes=50)).id


def _act(client, token, draft_id, action, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/drafts/{draft_id}/{action}", json=body, headers={"X-CSRF-Token": token})


def test_whoever_edits_a_draft_cannot_then_review_it(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    ana1, t1 = client_for("ana")
    draft_id = ana1.post(f"/api/alerts/{alert_id}/drafts", headers={"X-CSRF-Token": t1}).json()["id"]
    ana2, t2 = client_for("ana2")
    assert _act(ana2, t2, draft_id, "edit", version=1, body="ana2 重写的全文").status_code == 200
    assert _act(ana2, t2, draft_id, "submit", version=2).status_code == 200
    refused = _act(ana2, t2, draft_id, "review", version=2)
    assert refused.status_code in (403, 409) and "wrote" in refused.json()["detail"]
    # ana1 started it: ana1 may not review it either
    assert _act(ana1, t1, draft_id, "review", version=2).status_code in (403, 409)
    with db() as s:
        assert s.get_one(ResponseDraft, draft_id).status == "draft"
    # the history and the API show every writer
    shown = ana2.get(f"/api/drafts/{draft_id}").json()
    assert shown["writers"] == ["ana", "ana2"]
    assert [(r["action"], r["actor"]) for r in shown["history"]] == [("create", "ana"), ("edit", "ana2"),
                                                                    ("submit", "ana2")]


def test_whoever_edits_a_reviewed_draft_cannot_then_approve_it(alert_id, client_for, db):  # type: ignore[no-untyped-def]
    ana1, t1 = client_for("ana")
    draft_id = ana1.post(f"/api/alerts/{alert_id}/drafts", headers={"X-CSRF-Token": t1}).json()["id"]
    assert _act(ana1, t1, draft_id, "edit", version=1, body="第二版").status_code == 200
    assert _act(ana1, t1, draft_id, "submit", version=2).status_code == 200
    mon, tm = client_for("mon")
    assert _act(mon, tm, draft_id, "review", version=2).status_code == 200
    admin, ta = client_for("adm")
    assert _act(admin, ta, draft_id, "edit", version=2, body="管理员改写的第三版").status_code == 200
    assert _act(admin, ta, draft_id, "submit", version=3).status_code == 200
    assert _act(mon, tm, draft_id, "review", version=3).status_code == 200
    refused = _act(admin, ta, draft_id, "approve", version=3)
    assert refused.status_code in (403, 409)
    # the web form goes through the same rule
    form = admin.post(f"/drafts/{draft_id}/approve", data={"version": "3", "csrf_token": ta})
    assert form.status_code in (403, 409)
    with db() as s:
        assert s.scalar(select(ResponseDraft.status).where(ResponseDraft.id == draft_id)) == "reviewed"
    appr, tp = client_for("appr")
    assert _act(appr, tp, draft_id, "approve", version=3).json()["status"] == "approved"
