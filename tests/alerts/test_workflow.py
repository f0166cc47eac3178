from __future__ import annotations

import pytest

from alerts.workflow import DraftState, WorkflowError, apply_draft_action, next_alert_status


def test_draft_needs_two_other_people() -> None:
    state = DraftState(status="draft", author="王敏")
    with pytest.raises(WorkflowError, match="author cannot review"):
        apply_draft_action(state, "review", "王敏")
    with pytest.raises(WorkflowError, match="reviewed before"):
        apply_draft_action(state, "approve", "李建国")
    reviewed = apply_draft_action(state, "review", "赵磊")
    assert reviewed.status == "reviewed" and reviewed.reviewer == "赵磊"
    with pytest.raises(WorkflowError, match="reviewer cannot also approve"):
        apply_draft_action(reviewed, "approve", "赵磊")
    with pytest.raises(WorkflowError, match="author cannot approve"):
        apply_draft_action(reviewed, "approve", "王敏")
    approved = apply_draft_action(reviewed, "approve", "李建国")
    assert (approved.status, approved.approver) == ("approved", "李建国")
    with pytest.raises(WorkflowError, match="approved already"):
        apply_draft_action(approved, "edit", "王敏")


def test_editing_sends_a_reviewed_draft_back() -> None:
    reviewed = apply_draft_action(DraftState(status="draft", author="王敏"), "review", "赵磊")
    edited = apply_draft_action(reviewed, "edit", "赵磊")
    assert edited.status == "draft" and edited.reviewer is None and edited.version == 2
    assert edited.author == "王敏"


def test_alert_statuses() -> None:
    assert next_alert_status("new", "acknowledged") == "acknowledged"
    assert next_alert_status("acknowledged", "closed") == "closed"
    with pytest.raises(WorkflowError):
        next_alert_status("closed", "new")
    with pytest.raises(WorkflowError):
        next_alert_status("responding", "acknowledged")
    with pytest.raises(WorkflowError, match="unknown"):
        next_alert_status("new", "done")


def test_whoever_wrote_any_version_may_neither_review_nor_approve() -> None:
    started = DraftState(status="draft", author="yuqing")  # a system draft
    edited = apply_draft_action(started, "edit", "王敏")
    assert edited.writers == frozenset({"yuqing", "王敏"})
    with pytest.raises(WorkflowError, match="wrote"):
        apply_draft_action(edited, "review", "王敏")
    reviewed = apply_draft_action(edited, "review", "赵磊")
    with pytest.raises(WorkflowError, match="wrote"):
        apply_draft_action(reviewed, "approve", "王敏")
    rewritten = apply_draft_action(reviewed, "edit", "李建国")
    again = apply_draft_action(rewritten, "review", "赵磊")
    with pytest.raises(WorkflowError, match="wrote"):
        apply_draft_action(again, "approve", "李建国")
    assert apply_draft_action(again, "approve", "周丽").approver == "周丽"
