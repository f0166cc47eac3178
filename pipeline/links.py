"""The one check for links shown to people: http(s) with a host, nothing that can run script.

Every URL that reaches a page, a mail, a webhook message, a digest or an export goes
through `safe_url`; anything else (``javascript:``, ``data:``, ``vbscript:``, URNs, junk)
is shown as plain text or left out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_UNSAFE_CHARS = frozenset("\x00\r\n\t <>\"'`")


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) with a host, else None (no ``javascript:``, ``data:`` ...)."""
    if not url:
        return None
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in _UNSAFE_CHARS for ch in text):
        return None
    return text


def is_http_url(url: str) -> bool:
    """Whether ``url`` may be fetched, stored and shown as a link."""
    return safe_url(url) is not None
