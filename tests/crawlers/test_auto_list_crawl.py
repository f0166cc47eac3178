"""A ``kind: list`` source configured by its URLs alone: links, pages, text and time found automatically."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline.crawl import crawl_source
from tests.crawlers.auto_sites import SITES, Article
from tests.crawlers.conftest import stored_posts, write_config
from tests.crawlers.site import Site


def test_four_list_sites_by_url_alone(blank_site: Site, sqlite_url: str, tmp_path: Path) -> None:
    articles: list[Article] = []
    starts = []
    for start, build in SITES.values():
        articles.extend(build(blank_site))
        starts.append(blank_site.url(start))
    config, path = write_config(tmp_path, sqlite_url, [{"name": "auto", "kind": "list", "start_urls": starts}])
    summary = crawl_source(config, path, "auto")
    assert summary.status == "ok", summary
    posts = {p.title: p for p in stored_posts(sqlite_url).values()}
    found = [a for a in articles if a.title in posts]
    assert len(found) >= 0.9 * len(articles), sorted(set(a.title for a in articles) - set(posts))
    exact = [a for a in found if posts[a.title].text == f"{a.body}\n特此通知。"
             and posts[a.title].published_at == datetime.fromisoformat(a.iso)]
    assert len(exact) >= 0.85 * len(articles), [(posts[a.title].text, posts[a.title].published_at)
                                                 for a in found if a not in exact][:3]
    assert not any("/hot/" in url for url in stored_posts(sqlite_url)), "sidebar links are not articles"

    again = crawl_source(config, path, "auto")
    assert (again.status, again.new_posts) == ("ok", 0)
