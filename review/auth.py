"""Who is asking, and may they: sessions, roles and CSRF tokens (login throttling: `review.throttle`).

The session is a signed cookie (Starlette's SessionMiddleware: HttpOnly, SameSite=Lax,
Secure over https, expiring after ``review.session_hours``) holding only the user's name,
their session version and a CSRF token. The user's role, active flag and session version
are read from the database on every request, so logout, a password change or disabling
the user ends their sessions at once (`pipeline.store.users`). Every unsafe request must carry the session's
CSRF token, in the ``csrf_token`` form field or the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# Who may do what. Every route names one of these permissions.
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset({"analyst", "monitor", "approver", "admin"}),
    "label": frozenset({"analyst", "monitor", "admin"}),
    "export": frozenset({"analyst", "monitor", "admin"}),
    "alert": frozenset({"monitor", "approver", "admin"}),
    "draft_write": frozenset({"analyst", "monitor", "admin"}),
    "draft_review": frozenset({"analyst", "monitor", "approver", "admin"}),
    "draft_approve": frozenset({"approver", "admin"}),
    "audit": frozenset({"admin"}),
}


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but the role does not allow this (403)."""

    def __init__(self, message: str = "权限不足") -> None:
        super().__init__(message)
        self.message = message


class CsrfRejected(Exception):
    """An unsafe request without the session's CSRF token (403)."""


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str
    csrf_token: str

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def db_session(request: Request) -> Iterator[Session]:
    """A database session for one request; routes that write commit it themselves."""
    with request.app.state.session_factory() as session:
        yield session


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (also for the login form)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Reject an unsafe request whose token is missing or wrong (constant-time compare)."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRejected()


def current_user(request: Request, session: Session = Depends(db_session)) -> Viewer:
    name = request.session.get("user")
    version = request.session.get("sv")
    if not isinstance(name, str) or not isinstance(version, int):
        raise LoginRequired()
    user = session.scalar(select(User).where(User.name == name, User.active.is_(True)))
    if user is None or user.session_version != version:
        request.session.clear()
        raise LoginRequired()
    return Viewer(name=user.name, role=user.role, csrf_token=csrf_token(request))


def require(permission: str) -> Callable[..., Awaitable[Viewer]]:
    """A dependency: the logged-in viewer, if their role has ``permission``; CSRF checked."""
    allowed = PERMISSIONS[permission]

    async def dependency(request: Request, viewer: Viewer = Depends(current_user)) -> Viewer:
        await check_csrf(request)
        if viewer.role not in allowed:
            raise Forbidden(f"“{viewer.role}”角色不能执行此操作")
        return viewer

    return dependency
