"""HTML to clean text: no scripts, styles, navigation or forms; paragraphs on their own lines.

`element_text` cleans an element a selector picked (the article body, a forum post);
`main_text` finds the main text of a whole page when no body selector is configured
(trafilatura, with `element_text` of ``<body>`` as the fallback).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import trafilatura
from lxml import etree, html

log = logging.getLogger(__name__)

# Elements whose content is never article text.
_DROP = frozenset({"script", "style", "noscript", "template", "nav", "header", "footer", "form", "iframe",
                   "button", "select", "textarea", "input", "svg", "canvas", "object", "embed", "aside"})
_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "blockquote",
                    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dd", "dt", "dl", "hr", "figure",
                    "figcaption", "main"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def normalise_text(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep single line breaks between paragraphs."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def _walk(node: Any, out: list[str]) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag.lower() in _DROP or not isinstance(node.tag, str):
        # comments / processing instructions carry no text; dropped elements keep their tail
        if node.tail:
            out.append(node.tail)
        return
    block = tag.lower() in _BLOCK
    if block:
        out.append("\n")
    if node.text:
        out.append(node.text)
    for child in node:
        _walk(child, out)
    if block:
        out.append("\n")
    if node.tail:
        out.append(node.tail)


def element_text(element: Any) -> str:
    """Clean text of an lxml element (its tail excluded). Strings are normalised as they are."""
    if isinstance(element, str):
        return normalise_text(element)
    node = copy.copy(element)
    node.tail = None
    out: list[str] = []
    _walk(node, out)
    return normalise_text("".join(out))


def html_text(markup: str) -> str:
    """Clean text of an HTML fragment or document."""
    if not markup.strip():
        return ""
    try:
        root = html.fromstring(markup)
    except (etree.ParserError, ValueError):
        return normalise_text(markup)
    return element_text(root)


def main_text(page_html: str, url: str | None = None) -> str:
    """The main text of a whole page (navigation, comments and boilerplate left out)."""
    try:
        extracted = trafilatura.extract(page_html, url=url, include_comments=False, include_tables=True,
                                        favor_precision=True, deduplicate=False)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        log.info("trafilatura failed; using the page's text", extra={"url": url, "error": str(exc)})
        extracted = None
    if extracted:
        return normalise_text(extracted)
    try:
        root = html.fromstring(page_html)
    except (etree.ParserError, ValueError):
        return ""
    body = root.find(".//body")
    return element_text(body if body is not None else root)


def page_metadata(page_html: str, url: str | None = None) -> dict[str, str | None]:
    """Title, author and date as the page's metadata states them (Open Graph, meta tags)."""
    try:
        # extensive date search (htmldate + dateparser over every locale) takes seconds a page
        meta = trafilatura.extract_metadata(page_html, default_url=url, extensive=False,
                                            date_config={"extensive_search": False, "original_date": True})
    except (ValueError, TypeError, etree.LxmlError):
        meta = None
    if meta is None:
        return {"title": None, "author": None, "date": None}
    return {"title": meta.title, "author": meta.author, "date": meta.date}


def warm_up() -> None:
    """Run the extractor once before crawling: its first call loads data for most of a second,
    which would otherwise stall the crawl's event loop (and fire download timeouts late)."""
    sample = "<html><head><title>预热</title></head><body><article><p>" + "预热文本。" * 60 + \
        "</p></article></body></html>"
    main_text(sample)
    page_metadata(sample)
