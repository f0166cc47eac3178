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


def url_key(url: str) -> str:
    """A short, fixed-size key for a URL (the forgotten-URL list stores these, not URLs)."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=16).hexdigest()
