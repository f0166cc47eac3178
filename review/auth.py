"""Who is asking, and may they: sessions, roles, CSRF tokens and login rate limiting.

The session is a signed cookie (Starlette's SessionMiddleware: HttpOnly, SameSite=Lax,
expiring after ``review.session_hours``) holding only the user's name and a CSRF token.
The user's role and active flag are read from the database on every request, so a
deactivated login stops working at once. Every unsafe request must carry the session's
CSRF token, in the ``csrf_token`` form field or the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
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
    if not isinstance(name, str):
        raise LoginRequired()
    user = session.scalar(select(User).where(User.name == name, User.active.is_(True)))
    if user is None:
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


class LoginRateLimiter:
    """At most ``per_minute`` login attempts per client address and per user name in 60 s.

    In memory, per process: enough for one `yuqing serve`; behind several workers each
    keeps its own window. ``clock`` is injectable so tests never sleep.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._attempts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, *keys: str) -> bool:
        """Record an attempt under each key; False if any key is over its budget."""
        now = self.clock()
        with self._lock:
            ok = True
            for key in keys:
                window = self._attempts[key]
                while window and now - window[0] >= 60:
                    window.popleft()
                if len(window) >= self.per_minute:
                    ok = False
            if ok:
                for key in keys:
                    self._attempts[key].append(now)
            return ok

    def reset(self, key: str) -> None:
        with self._lock:
            self._attempts.pop(key, None)
