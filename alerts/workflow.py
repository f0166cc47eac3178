"""Who may move an alert or a response draft to which status (DESIGN §1).

Alerts move new → acknowledged → responding → closed (closing is allowed from any
open status). Drafts move draft → reviewed → approved: the reviewer and the approver
must be two different people, neither of them a writer: whoever started the draft or
wrote any version of it (稿件审核层层把关). Editing a draft's text sends it back to
``draft`` and adds the editor to its writers. This is the one place the rule lives; the
web forms and the API both go through it. Pure logic: callers persist the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

ALERT_STATUSES = ("new", "acknowledged", "responding", "closed")
AlertStatus = Literal["new", "acknowledged", "responding", "closed"]
DraftStatus = Literal["draft", "reviewed", "approved"]
DraftAction = Literal["edit", "review", "approve"]

_ALERT_NEXT: dict[str, set[str]] = {
    "new": {"acknowledged", "responding", "closed"},
    "acknowledged": {"responding", "closed"},
    "responding": {"closed"},
    "closed": set(),
}


class WorkflowError(ValueError):
    """A transition the rules do not allow; the message says why, for the person who tried."""


def next_alert_status(current: str, wanted: str) -> AlertStatus:
    if wanted not in ALERT_STATUSES:
        raise WorkflowError(f"unknown alert status {wanted!r}")
    if wanted not in _ALERT_NEXT.get(current, set()):
        raise WorkflowError(f"an alert cannot go from {current} to {wanted}")
    return wanted  # type: ignore[return-value]


@dataclass(frozen=True)
class DraftState:
    status: DraftStatus
    author: str | None
    reviewer: str | None = None
    approver: str | None = None
    version: int = 1
    writers: frozenset[str] = field(default_factory=frozenset)  # every editor; the author is added below

    def __post_init__(self) -> None:
        if self.author is not None and self.author not in self.writers:
            object.__setattr__(self, "writers", self.writers | {self.author})


def apply_draft_action(state: DraftState, action: DraftAction, actor: str) -> DraftState:
    """The draft after ``actor`` does ``action``, or `WorkflowError` if the rules forbid it."""
    if state.status == "approved":
        raise WorkflowError("the draft is approved already; start a new draft to change it")
    if action == "edit":
        return DraftState(status="draft", author=state.author or actor, version=state.version + 1,
                          writers=state.writers | {actor})
    if action == "review":
        if state.status != "draft":
            raise WorkflowError("only a draft can be reviewed")
        if actor == state.author:
            raise WorkflowError("the author cannot review their own draft")
        if actor in state.writers:
            raise WorkflowError("you wrote a version of this draft, so you cannot review it")
        return replace(state, status="reviewed", reviewer=actor)
    if action == "approve":
        if state.status != "reviewed":
            raise WorkflowError("a draft must be reviewed before it is approved")
        if actor == state.author:
            raise WorkflowError("the author cannot approve their own draft")
        if actor in state.writers:
            raise WorkflowError("you wrote a version of this draft, so you cannot approve it")
        if actor == state.reviewer:
            raise WorkflowError("the reviewer cannot also approve; a second person must approve")
        return replace(state, status="approved", approver=actor)
    raise WorkflowError(f"unknown draft action {action!r}")
