"""Config selectors applied to pages: CSS (parsel syntax) unless prefixed ``xpath:``.

A selector may end in ``::text`` / ``::attr(x)`` (CSS) or ``/text()`` / ``/@x`` (XPath), or
pick elements; `texts` reads either. `link_elements` keeps the element of each link, so a
board page can tell what a thread's row shows (its reply count, its last reply time).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from parsel import Selector, SelectorList

from crawlers.extract.text import element_text

_CSS_ATTR = re.compile(r"::attr\(([^)]+)\)\s*$")
_XPATH_ATTR = re.compile(r"/@([\w:-]+)\s*$")
_DATE_ATTRS = ("datetime", "title", "data-time", "data-date", "content")


def select(node: Selector | Any, spec: str) -> SelectorList[Selector]:
    if spec.startswith("xpath:"):
        result: SelectorList[Selector] = node.xpath(spec[len("xpath:"):].strip())
        return result
    result_css: SelectorList[Selector] = node.css(spec)
    return result_css


def _text_of(selected: Selector) -> str:
    root = selected.root
    if isinstance(root, str):
        return root
    return element_text(root)


def texts(node: Selector | Any, spec: str | None) -> list[str]:
    """The clean text of each match (an element's text, or the attribute / text node itself)."""
    if not spec:
        return []
    return [t for t in (_text_of(s).strip() for s in select(node, spec)) if t]


def first_text(node: Selector | Any, spec: str | None) -> str | None:
    found = texts(node, spec)
    return found[0] if found else None


def joined_text(node: Selector | Any, spec: str | None) -> str:
    return "\n".join(texts(node, spec))


def date_candidates(node: Selector | Any, spec: str | None) -> list[str]:
    """Strings that may hold a date: the matches' date-like attributes first, then their text."""
    if not spec:
        return []
    out: list[str] = []
    for selected in select(node, spec):
        root = selected.root
        if isinstance(root, str):
            out.append(root)
            continue
        for element in [root, *root.iterdescendants()]:
            if not isinstance(element.tag, str):
                continue
            out.extend(element.get(a) for a in _DATE_ATTRS if element.get(a))
        out.append(element_text(root))
    return out


def link_elements(node: Selector | Any, spec: str) -> list[tuple[str, Any]]:
    """(href, element) for each link a selector names; element is None for text results."""
    css_attr = None if spec.startswith("xpath:") else _CSS_ATTR.search(spec)
    xpath_attr = _XPATH_ATTR.search(spec) if spec.startswith("xpath:") else None
    attr_match = css_attr or xpath_attr
    if attr_match:
        attr = attr_match.group(1)
        elements = select(node, spec[:attr_match.start()])
        return [(str(e.root.get(attr)).strip(), e.root) for e in elements
                if not isinstance(e.root, str) and e.root.get(attr)]
    out: list[tuple[str, Any]] = []
    for selected in select(node, spec):
        root = selected.root
        if isinstance(root, str):
            out.append((root.strip(), None))
        elif root.get("href"):
            out.append((str(root.get("href")).strip(), root))
    return out


def row_signatures(elements: list[Any]) -> list[str | None]:
    """For each thread link element, a hash of what the board shows about that thread.

    The thread's row is the largest ancestor of its link that holds no other thread link;
    its text and title/datetime attributes (title, reply count, last-reply time) change
    when the thread gets a reply. None where a link has no element.
    """
    # keyed by the elements themselves: holding them keeps lxml's proxies (and identities) stable
    counts: dict[Any, int] = {}
    for element in elements:
        if element is not None:
            for ancestor in element.iterancestors():
                counts[ancestor] = counts.get(ancestor, 0) + 1
    out: list[str | None] = []
    for element in elements:
        if element is None:
            out.append(None)
            continue
        row = element
        for ancestor in element.iterancestors():
            if counts.get(ancestor, 0) > 1:
                break
            row = ancestor
        parts = [element_text(row)]
        for item in [row, *row.iterdescendants()]:
            if isinstance(item.tag, str):
                parts.extend(str(item.get(a)) for a in ("title", "datetime") if item.get(a))
        out.append(hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20])
    return out
