"""The digests archive, the sources list and (for admins) the audit log.

A stored digest is our own HTML, but it quotes crawled text (escaped by the digest
builder). It is shown in a sandboxed iframe whose document has its own strict CSP: no
scripts, no forms, no network; even a slip in the builder's escaping stays inert.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from pipeline.store import audit
from pipeline.store.archive import audit_entries, get_digest, list_digests
from pipeline.store.sources import source_health
from review.auth import Viewer, db_session, require
from review.params import RowId

router = APIRouter()

# No script can run in a digest (script-src 'none' and a sandbox without allow-scripts); allow-same-origin
# only lets the app's own page script read the digest's height to size its frame (static/digest.js).
DIGEST_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "sandbox allow-same-origin; frame-ancestors 'self'; form-action 'none'; base-uri 'none'")
# Digests archived before the chart was embedded point at the mail's inline image, which is not here.
_MAIL_IMAGE = re.compile(r"<img\b[^>]*\bsrc=\"cid:[^\"]*\"[^>]*>", re.IGNORECASE)


@router.get("/digests", include_in_schema=False)
def digests(request: Request, viewer: Viewer = Depends(require("view")),
            session: Session = Depends(db_session)) -> Response:
    return request.app.state.pages.render(request, "digests.html", {"viewer": viewer,
                                                                    "digests": list_digests(session)})


@router.get("/digests/{digest_id}", include_in_schema=False)
def digest_page(digest_id: RowId, request: Request, viewer: Viewer = Depends(require("view")),
                session: Session = Depends(db_session)) -> Response:
    digest = get_digest(session, digest_id)
    audit.record(session, viewer.name, "view", "digest", digest_id)
    session.commit()
    return request.app.state.pages.render(request, "digest.html", {"viewer": viewer, "digest": digest})


@router.get("/digests/{digest_id}/body", include_in_schema=False)
def digest_body(digest_id: RowId, viewer: Viewer = Depends(require("view")),
                session: Session = Depends(db_session)) -> Response:
    digest = get_digest(session, digest_id)
    html = _MAIL_IMAGE.sub("", digest.html)
    return HTMLResponse(html, headers={"Content-Security-Policy": DIGEST_CSP,
                                              "X-Frame-Options": "SAMEORIGIN"})


@router.get("/sources", include_in_schema=False)
def sources(request: Request, viewer: Viewer = Depends(require("view")),
            session: Session = Depends(db_session)) -> Response:
    configured = {s.name: s for s in request.app.state.config.sources}
    return request.app.state.pages.render(request, "sources.html", {
        "viewer": viewer, "sources": source_health(session), "configured": configured})


@router.get("/audit", include_in_schema=False)
def audit_log(request: Request, user: str = "", viewer: Viewer = Depends(require("audit")),
              session: Session = Depends(db_session)) -> Response:
    return request.app.state.pages.render(request, "audit.html", {
        "viewer": viewer, "entries": audit_entries(session, user=user or None), "user": user})
