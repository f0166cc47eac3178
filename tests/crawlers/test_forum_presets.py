"""``kind: forum`` by URL alone: the software is recognised and its preset selectors read every post."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import lxml.html
import pytest

from crawlers.forums import detect_forum
from pipeline.crawl import crawl_source
from tests.crawlers.conftest import stored_posts, write_config
from tests.crawlers.forum_sites import build_discuz, build_phpbb
from tests.crawlers.site import Site


@pytest.mark.parametrize(("builder", "start", "software"), [
    (build_discuz, "/forum.php", "discuz"), (build_phpbb, "/index.php", "phpbb")])
def test_forum_software_is_recognised(builder, start: str, software: str) -> None:  # type: ignore[no-untyped-def]
    site = Site()
    builder(site)
    html = site.pages[start].body.decode("utf-8")
    assert detect_forum(lxml.html.fromstring(html), html) == software


def test_unknown_markup_is_not_a_forum() -> None:
    html = "<html><body><ul><li><a href='/a.html'>文章标题一</a></li></ul></body></html>"
    assert detect_forum(lxml.html.fromstring(html), html) is None


@pytest.mark.parametrize(("builder", "start"), [(build_discuz, "/forum.php"), (build_phpbb, "/index.php")])
def test_a_forum_by_url_alone(builder, start: str, blank_site: Site, sqlite_url: str,  # type: ignore[no-untyped-def]
                              tmp_path: Path) -> None:
    expected = builder(blank_site)
    config, path = write_config(tmp_path, sqlite_url, [
        {"name": "bbs", "kind": "forum", "start_urls": [blank_site.url(start)]}])
    summary = crawl_source(config, path, "bbs")
    assert summary.status == "ok", summary
    stored = {(p.title, p.floor): p for p in stored_posts(sqlite_url).values()}
    found = [e for e in expected if (e[0], e[1]) in stored]
    assert len(found) >= 0.9 * len(expected), (sorted(stored), expected)
    exact = [e for e in found if stored[e[0], e[1]].text == e[3] and stored[e[0], e[1]].author == e[2]
             and stored[e[0], e[1]].published_at == datetime.fromisoformat(e[4])]
    assert len(exact) >= 0.85 * len(expected), [(stored[e[0], e[1]].text, stored[e[0], e[1]].author,
                                                 stored[e[0], e[1]].published_at, e) for e in found if e not in exact]
