"""The review app factory: `create_app(config)` builds a FastAPI app; nothing is built at import.

Pages are server-rendered Jinja2 in Chinese; the JSON API lives under ``/api`` with its
OpenAPI schema at ``/api/openapi.json`` (for logged-in users, like everything else but
the login page and the static files).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from pipeline.config import Config
from pipeline.db import engine_from_config, session_factory
from pipeline.exceptions import NotFound
from pipeline.models import utcnow
from pipeline.store.review_actions import ActionRefused
from review.auth import CsrfRejected, Forbidden, LoginRequired, Viewer, current_user
from review.client_address import trusted_networks
from review.params import OutOfRange
from review.rendering import ROLE_ZH, Pages
from review.throttle import LoginThrottle

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "yuqing_session"

# Pages load only our own CSS and script; digests are framed from our own origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _viewer_or_none(request: Request) -> Viewer | None:
    return getattr(request.state, "viewer", None)


def _error_viewer(request: Request) -> Viewer | None:
    """The logged-in viewer for an error page, so that it keeps the menu bar (None: not logged in)."""
    viewer = _viewer_or_none(request)
    if viewer is not None:
        return viewer
    try:
        with request.app.state.session_factory() as session:
            return current_user(request, session)
    except LoginRequired:
        return None
    except SQLAlchemyError:  # the page reports the error; without a database it has no menu bar
        log.warning("no viewer for the error page", exc_info=True)
        return None


def _in_chinese(message: str) -> str:
    """Role names in a message in Chinese (auth says “analyst”角色不能执行此操作)."""
    for role, shown in ROLE_ZH.items():
        message = message.replace(f"“{role}”", f"“{shown}”")
    return message


HTTP_MESSAGES_ZH = {404: "找不到该页面", 405: "不支持这种请求方式", 422: "请求的参数有误"}


def _install_error_handlers(app: FastAPI, pages: Pages) -> None:
    def page(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        return pages.render(request, "error.html", {"viewer": _error_viewer(request), "status": status,
                                                    "message": _in_chinese(message)}, status_code=status)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        if _is_api(request) and isinstance(exc, StarletteHTTPException):
            return JSONResponse({"detail": exc.detail}, status_code=status, headers=exc.headers)
        return page(request, status, HTTP_MESSAGES_ZH.get(status, "请求未能完成"))

    async def login_required(request: Request, _exc: Exception) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "未登录"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        return page(request, 403, exc.message if isinstance(exc, Forbidden) else "权限不足")

    async def csrf(request: Request, _exc: Exception) -> Response:
        log.warning("request without a valid CSRF token", extra={"path": request.url.path})
        return page(request, 403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")

    async def not_found(request: Request, exc: Exception) -> Response:
        return page(request, 404, f"找不到：{exc}")

    async def refused(request: Request, exc: Exception) -> Response:
        return page(request, 409, str(exc))

    async def out_of_range(request: Request, exc: Exception) -> Response:
        return page(request, 422, str(exc))

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfRejected, csrf)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(ActionRefused, refused)
    app.add_exception_handler(OutOfRange, out_of_range)


def create_app(config: Config, *, engine: Engine | None = None,
               clock: Callable[[], datetime] | None = None,
               login_clock: Callable[[], float] | None = None) -> FastAPI:
    """The review app for ``config``. Pass ``engine`` to share one (tests); else one is built
    here and disposed when the app shuts down. ``clock`` gives "now" for deadlines."""
    own_engine = engine is None
    engine = engine if engine is not None else engine_from_config(config)
    now = clock or utcnow

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if own_engine:
            engine.dispose()

    app = FastAPI(title="yuqing 舆情 review", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    pages = Pages(config.tz, now, rule_labels={r.name: r.label for r in config.alerts.rules})
    app.state.config = config
    app.state.session_factory = session_factory(engine)
    app.state.pages = pages
    app.state.clock = now
    limiter_args: dict[str, Any] = {"clock": login_clock} if login_clock else {}
    app.state.login_throttle = LoginThrottle(config.review.login_attempts_per_minute,
                                             config.review.login_attempts_per_client, **limiter_args)
    app.state.trusted_proxies = trusted_networks(config.review.trusted_proxies)

    secret = config.review.secret_key.get_secret_value() if config.review.secret_key else secrets.token_urlsafe(48)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=int(config.review.session_hours * 3600), same_site="lax",
                       https_only=config.review.secure_cookies)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    _install_error_handlers(app, pages)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # browsers ask for it at the root whatever the page says
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon",
                            headers={"Cache-Control": "public, max-age=86400"})

    from review.routes import alerts, api, archive, dashboard, drafts, inbox, items, login, reports

    for module in (login, inbox, items, alerts, drafts, reports, dashboard, archive, api):
        app.include_router(module.router)
    return app
