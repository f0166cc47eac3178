"""Which character set a page is in: HTTP header, then meta tag, then detection.

Chinese sites label pages GB2312 that really contain GBK or GB18030 characters, and GBK is a
subset of GB18030, so every GB label decodes as GB18030. Big5 decodes as Big5-HKSCS (a
superset). A label that Python does not know, or that fails on the body, falls through to
detection (charset-normalizer).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030",
              "cp936": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030",
              "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs",
              "utf8": "utf-8", "utf-8": "utf-8", "ascii": "utf-8", "us-ascii": "utf-8",
              "iso-8859-1": "cp1252", "latin-1": "cp1252"}
_SNIFF_BYTES = 4096
_DETECT_BYTES = 64 * 1024


def normalise_encoding(label: str | None) -> str | None:
    """A Python codec name for a charset label, widened to its superset; None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return _SUPERSETS.get(codecs.lookup(name).name, codecs.lookup(name).name)


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return normalise_encoding(match.group(1)) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return normalise_encoding(match.group(1).decode("ascii", "ignore")) if match else None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body[:_DETECT_BYTES].decode(encoding)
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sample's end is fine
        return exc.start >= min(len(body), _DETECT_BYTES) - 4
    return True


def detect_encoding(body: bytes) -> str:
    """Guess from the bytes alone; UTF-8 when they decode as UTF-8."""
    if body.startswith(codecs.BOM_UTF8) or _decodes(body, "utf-8"):
        return "utf-8"
    best = from_bytes(body[:_DETECT_BYTES], cp_isolation=["gb18030", "big5", "utf_8", "cp1252"]).best()
    found = normalise_encoding(best.encoding) if best is not None else None
    return found or "gb18030"


def choose_encoding(body: bytes, content_type: str | None = None, configured: str = "auto") -> str:
    """The encoding to decode ``body`` with: config, then header, then meta, then detection.

    A header or meta label is trusted only if the body decodes with it (servers lie).
    """
    forced = normalise_encoding(configured) if configured != "auto" else None
    if forced:
        return forced
    for candidate in (header_charset(content_type), meta_charset(body)):
        if candidate and _decodes(body, candidate):
            return candidate
    return detect_encoding(body)


def decode_html(body: bytes, content_type: str | None = None, configured: str = "auto") -> tuple[str, str]:
    """Decode a page; returns (text, encoding). Undecodable bytes become U+FFFD."""
    encoding = choose_encoding(body, content_type, configured)
    return body.decode(encoding, errors="replace"), encoding
