"""Logging in and out. Passwords are checked by `pipeline.store.users.authenticate` (argon2)."""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from pipeline.store import audit
from pipeline.store.users import authenticate, end_sessions
from review.auth import Viewer, check_csrf, csrf_token, db_session, require
from review.client_address import client_address

log = logging.getLogger(__name__)
router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an absolute URL or a protocol-relative ``//host``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/inbox"
    return target


@router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:
    return request.app.state.pages.render(request, "login.html", {
        "viewer": None, "csrf": csrf_token(request), "next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
async def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/inbox"),
                session: Session = Depends(db_session)) -> Response:
    await check_csrf(request)
    pages = request.app.state.pages
    state = request.app.state
    client = client_address(request, state.trusted_proxies)
    name = name.strip()[:128]

    def again(message: str, status: int) -> Response:
        return pages.render(request, "login.html", {"viewer": None, "csrf": csrf_token(request),
                                                    "next": _safe_next(next), "error": message}, status_code=status)

    refusal = state.login_throttle.check(name, client)
    if refusal is not None:
        if refusal.first:  # one audit row per lock, however many attempts it refuses
            log.warning("login throttled", extra={"client": client, "user": name, "key": refusal.key})
            audit.record(session, name or None, "login_throttled", client=client, key=refusal.key,
                         wait_s=round(refusal.wait_s))
            session.commit()
        minutes = max(1, round(refusal.wait_s / 60))
        return again(f"尝试次数过多，请 {minutes} 分钟后再试", 429)
    user = authenticate(session, name, password)
    if user is None:
        state.login_throttle.failed(name, client)
        audit.record(session, name or None, "login_failed", client=client)
        session.commit()
        return again("用户名或密码错误", 401)
    state.login_throttle.succeeded(name)
    request.session.clear()
    request.session["user"] = user.name
    request.session["sv"] = user.session_version
    request.session["csrf"] = secrets.token_urlsafe(32)
    audit.record(session, user.name, "login", client=client)
    session.commit()
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, viewer: Viewer = Depends(require("view")),
           session: Session = Depends(db_session)) -> Response:
    audit.record(session, viewer.name, "logout")
    end_sessions(session, viewer.name)
    session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
