"""Canonical URLs: one spelling per page, so a page is never stored twice.

Tracking parameters (``utm_*``, ``spm``, ``from`` and friends) and fragments are removed,
query arguments sorted and percent-encoding normalised (w3lib). Forum posts are addressed
as ``<canonical thread URL>#floor-N``; build those with `post_url` *after* canonicalising,
since canonicalisation strips fragments.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PARAMS = frozenset({
    "spm", "from", "fromsource", "source", "src", "share", "share_source", "share_medium", "scene",
    "isappinstalled", "wfr", "timestamp", "vd_source", "fbclid", "gclid", "yclid", "mc_cid", "mc_eid",
    "_hsenc", "_hsmi", "ref", "ref_src", "igshid", "sharer",
})
_TRACKING_PREFIXES = ("utm_",)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical form of ``url``: no tracking parameters, no fragment, sorted query."""
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    # latin-1 round-trips the percent-decoded bytes exactly, whatever the site's charset
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True, encoding="latin-1")
             if not _is_tracking(k)]
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port and parts.port != default_port:
        host = f"{host}:{parts.port}"
    rebuilt = urlunsplit((parts.scheme, host, parts.path or "/", urlencode(query, encoding="latin-1"), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)


def post_url(thread_url: str, floor: int) -> str:
    """The URL of one floor of a forum thread: ``<canonical thread URL>#floor-N``."""
    return f"{canonical_url(thread_url)}#floor-{floor}"


_PAGE_PARAMS = ("page", "p", "pn", "pg")


def without_page(url: str) -> str:
    """A thread's first-page URL: the canonical URL without a ``page`` query argument."""
    parts = urlsplit(canonical_url(url))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _PAGE_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
