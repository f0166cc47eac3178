"""Content hashes that ignore layout: the same words in other whitespace hash alike."""

from __future__ import annotations

import hashlib


def content_hash(title: str, text: str) -> str:
    # str.split() splits on exactly the characters re's \s matches (str.isspace), faster.
    normalised = " ".join(f"{title}\n{text}".split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:40]


def content_urn(digest: str) -> str:
    """A stand-in URL for a post that has none (imports): de-duplicates by content."""
    return f"urn:yuqing:content:{digest}"
