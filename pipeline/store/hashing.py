"""Content hashes that ignore layout: the same words in other whitespace hash alike."""

from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def content_hash(title: str, text: str) -> str:
    normalised = _SPACE.sub(" ", f"{title}\n{text}").strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:40]


def content_urn(digest: str) -> str:
    """A stand-in URL for a post that has none (imports): de-duplicates by content."""
    return f"urn:yuqing:content:{digest}"
