"""Automatic list-link and next-page discovery on list pages built four different ways."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html
import pytest
from parsel import Selector

from crawlers.discover import find_list_block, find_next_page
from crawlers.select import link_elements
from tests.crawlers.auto_sites import SITES
from tests.crawlers.site import Site

BASE = "http://site.test"


def _page(site: Site, path: str) -> tuple[str, str]:
    body = site.pages[path].body
    text = body.decode("gbk") if path.startswith("/zwgk/") else body.decode("utf-8")
    return text, BASE + path


@pytest.mark.parametrize("kind", sorted(SITES))
def test_the_block_of_article_links_is_found(kind: str) -> None:
    site = Site()
    start, build = SITES[kind]
    articles = build(site)
    text, url = _page(site, start)
    block = find_list_block(lxml.html.fromstring(text), url)
    assert block is not None
    first_page = [a for a in articles if any(a.path.rsplit("/", 1)[1] in link for link in block.links)]
    assert len(first_page) == len(block.links) and block.links, block.links  # no sidebar, nav or footer links
    assert not any("/hot/" in link or "/about/" in link for link in block.links)
    # the suggested selector selects the same links
    suggested = {urljoin(url, href) for href, _ in link_elements(Selector(text=text), block.selector)}
    assert suggested >= set(block.links), block.selector


@pytest.mark.parametrize(("kind", "second"), [
    ("table", "/tzgg/list.jsp?page=2"), ("ul", "/news/p2.shtml"), ("gbk", "/zwgk/index_1.html"), ("cards", None)])
def test_the_next_page_is_found(kind: str, second: str | None) -> None:
    site = Site()
    start, build = SITES[kind]
    build(site)
    text, url = _page(site, start)
    found = find_next_page(lxml.html.fromstring(text), url, text)
    assert found == (BASE + second if second else None)


def test_index_n_continues_and_stops() -> None:
    site = Site()
    SITES["gbk"][1](site)
    text, url = _page(site, "/zwgk/index_1.html")
    assert find_next_page(lxml.html.fromstring(text), url, text) == BASE + "/zwgk/index_2.html"
    text, url = _page(site, "/zwgk/index_2.html")
    assert find_next_page(lxml.html.fromstring(text), url, text) is None


def test_a_page_without_a_list_has_no_block() -> None:
    page = "<html><body><div class='nav'><a href='/a'>首页</a></div><p>只有一段文字，没有文章列表。</p></body></html>"
    assert find_list_block(lxml.html.fromstring(page), BASE + "/") is None
