"""Find a list page's article links and its next page without selectors (GNE / Gerapy style).

Articles on a list page are repeated links of one URL pattern with a title each, often a date
beside them, inside one container (a ``ul``, a table, a column of cards). Every ancestor of
every long-text link is a candidate container; a candidate scores by how many of its rows carry
such a link, how long their titles are, how many rows show a date and how uniform the URLs are;
navigation, headers and footers score little. The next page is the link that says so (text,
``rel=next``, a ``next`` class), the CMS pattern ``index_N.html``, or TRS's ``createPageHTML``.
Pure: an lxml tree and its URL in, URLs and a suggested selector out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

MIN_TITLE = 5          # characters of link text that can be an article title
MIN_ROWS = 3           # a list has at least this many articles
MAX_DEPTH = 5          # ancestors looked at above each link
NAV_TAGS = {"nav", "header", "footer", "aside"}
NAV_WORDS = re.compile(r"nav|menu|header|footer|breadcrumb|crumb|sidebar|side|friend|links?$|copyright", re.I)
DATE_RE = re.compile(r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})|(\b\d{1,2}[-/]\d{1,2}\b)|"
                     r"(\d+\s*(分钟|小时|天)前)|(昨天|前天|今天)")
NEXT_TEXTS = {"下一页", "下页", "下一頁", "后页", "後頁", "next", "next page", "next »", "›", "»", ">", ">>",
              "下一页>", "下一页 >", "下一页»"}
CREATE_PAGE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,"
                         r"\s*['\"](\w+)['\"]")
INDEX_N = re.compile(r"^(.*/)?(index|list|default)(?:_(\d+))?\.(s?html?|php|aspx?|jsp)$", re.I)
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#")


@dataclass
class ListBlock:
    """The article links of a list page (page order), and where they are."""

    links: list[str]
    selector: str
    rows: int
    dated: int
    score: float
    titles: list[str] = field(default_factory=list)


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _classes(element: Any) -> str:
    return f"{element.get('id') or ''} {element.get('class') or ''}"


def _in_navigation(element: Any) -> bool:
    for node in [element, *element.iterancestors()]:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in NAV_TAGS or NAV_WORDS.search(_classes(node).strip() or "-"):
            return True
    return False


def _shape(url: str) -> str:
    """A URL's pattern: host, path with digit runs as 9 (``/news/2024/a123.html`` → ``/news/9/a9.html``)."""
    parts = urlsplit(url)
    return f"{parts.netloc}{re.sub(r'[0-9]+', '9', parts.path)}{'?' if parts.query else ''}"


def _same_site(url: str, base: str) -> bool:
    host, base_host = urlsplit(url).hostname or "", urlsplit(base).hostname or ""
    root = ".".join(base_host.split(".")[-2:])
    return host == base_host or host.endswith("." + root)


def css_of(element: Any) -> str:
    """A short CSS for ``element``: its id, else its classes, else its parent's CSS and its tag."""
    tag = element.tag
    if element.get("id") and re.fullmatch(r"[A-Za-z][\w-]*", element.get("id")):
        return f"{tag}#{element.get('id')}"
    classes = [c for c in (element.get("class") or "").split() if re.fullmatch(r"[A-Za-z_][\w-]*", c)]
    if classes:
        return f"{tag}." + ".".join(classes[:2])
    parent = element.getparent()
    if parent is None or not isinstance(parent.tag, str) or parent.tag in ("html", "body"):
        return tag
    return f"{css_of(parent)} > {tag}"


def find_list_block(root: Any, url: str) -> ListBlock | None:
    """The block of article links on a list page, or None when no block of ``MIN_ROWS`` is found."""
    groups: dict[Any, dict[Any, tuple[Any, str, str]]] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(SKIP_SCHEMES):
            continue
        title = _text(anchor) or (anchor.get("title") or "").strip()
        if len(title) < MIN_TITLE:
            continue
        absolute = urljoin(url, href)
        if not absolute.startswith(("http://", "https://")) or not _same_site(absolute, url):
            continue
        child = anchor
        for depth, ancestor in enumerate(anchor.iterancestors()):
            if depth >= MAX_DEPTH or not isinstance(ancestor.tag, str) or ancestor.tag in ("html", "body"):
                break
            rows = groups.setdefault(ancestor, {})
            rows.setdefault(child, (anchor, absolute, title))  # the first long link of a row is its title
            child = ancestor
    best: ListBlock | None = None
    for container, rows in groups.items():
        if len(rows) < MIN_ROWS:
            continue
        block = _score(container, rows, url)
        if block is not None and (best is None or block.score > best.score):
            best = block
    return best


def _score(container: Any, rows: dict[Any, tuple[Any, str, str]], url: str) -> ListBlock | None:
    items = list(rows.items())
    shapes = Counter(_shape(absolute) for _, (_, absolute, _) in items)
    shape, count = shapes.most_common(1)[0]
    kept = [(row, anchor, absolute, title) for row, (anchor, absolute, title) in items
            if _shape(absolute) == shape and absolute.split("#")[0] != url.split("#")[0]]
    if len(kept) < MIN_ROWS:
        return None
    dated = sum(1 for row, *_ in kept if DATE_RE.search(_text(row)))
    mean_title = sum(min(len(t), 40) for *_, t in kept) / len(kept)
    uniform = count / len(items)
    score = len(kept) * mean_title * (0.5 + uniform) * (1 + dated / len(kept))
    if _in_navigation(container):
        score *= 0.2
    first_row, first_anchor = kept[0][0], kept[0][1]
    link_css = "a" + (f".{first_anchor.get('class').split()[0]}" if (first_anchor.get("class") or "").split() else "")
    row_css = first_row.tag if first_row is not first_anchor else ""
    selector = " ".join(p for p in (css_of(container), ">" if row_css else "", row_css, link_css) if p)
    links = list(dict.fromkeys(absolute for _, _, absolute, _ in kept))
    return ListBlock(links=links, selector=f"{selector}::attr(href)", rows=len(kept), dated=dated, score=score,
                     titles=[t for *_, t in kept])


def find_next_page(root: Any, url: str, page_html: str | None = None) -> str | None:
    """The URL of the next list page, or None."""
    here = url.split("#")[0]
    candidates: list[str] = []
    for anchor in root.iter("a", "link"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(SKIP_SCHEMES):
            continue
        rel = (anchor.get("rel") or "").lower().split()
        text = _text(anchor).lower() if anchor.tag == "a" else ""
        classes = (anchor.get("class") or "").lower().split()
        if "next" in rel or text in NEXT_TEXTS or "下一页" in text or any(c in ("next", "nxt") for c in classes):
            candidates.append(urljoin(url, href))
    candidates.extend(_index_pages(root, url, page_html))
    for candidate in candidates:
        if candidate.startswith(("http://", "https://")) and candidate.split("#")[0] != here:
            return candidate
    return None


def _index_pages(root: Any, url: str, page_html: str | None) -> list[str]:
    """``index.html`` → ``index_1.html`` (→ ``index_2.html`` …) where the page links it or TRS's
    ``createPageHTML(total, current, "index", "html")`` script builds the pager."""
    out: list[str] = []
    if page_html:
        match = CREATE_PAGE.search(page_html)
        if match:
            total, current, name, ext = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
            if current + 1 < total:
                out.append(urljoin(url, f"{name}_{current + 1}.{ext}"))
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    match = INDEX_N.match(last) if last else None
    if last and not match:
        return out
    number = int(match.group(3) or 0) + 1 if match else 1
    stem, ext = (match.group(2), match.group(4)) if match else ("index", "html")
    wanted = urljoin(url, f"{stem}_{number}.{ext}")
    linked = {urljoin(url, (a.get("href") or "").strip()) for a in root.iter("a")}
    if wanted in linked:
        out.append(wanted)
    return out
