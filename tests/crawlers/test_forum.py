"""A forum source against the real Spirit forum engine (../shared/forum), started once per session."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeline.crawl import crawl_source
from tests.conftest import SHARED
from tests.crawlers.conftest import stored_posts, write_config

FORUM = SHARED / "forum"
CST = timezone(timedelta(hours=8))
NEXT = "xpath://ul[@class='paginator']//a[i[contains(@class,'fa-chevron-right')]]/@href"

pytestmark = [
    pytest.mark.forum, pytest.mark.slow,
    pytest.mark.skipif(not (FORUM / "recipe.sh").exists(), reason=f"{FORUM} is absent (the Spirit forum recipe)"),
]


@dataclass
class Forum:
    url: str
    home: Path
    records: list[dict[str, Any]]

    def add_reply(self, topic_title: str, author: str, body: str, when: datetime) -> None:
        """Reply the way seed_spirit.py writes posts (Django ORM in the forum's own venv)."""
        code = f"""
import django; django.setup()
from datetime import datetime
from django.contrib.auth import get_user_model
from spirit.comment.models import Comment
from spirit.core.utils.markdown import Markdown
from spirit.topic.models import Topic
U = get_user_model()
user = U.objects.filter(username={author!r}).first() or U.objects.create(username={author!r}, email="")
topic = Topic.objects.get(title={topic_title!r})
when = datetime.fromisoformat({when.isoformat()!r})
Comment.objects.create(user=user, topic=topic, comment={body!r}, comment_html=Markdown().render({body!r}), date=when)
Topic.objects.filter(pk=topic.pk).update(comment_count=topic.comment_count + 1, last_active=when)
"""
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings.local",
               "PYTHONPATH": str(self.home / "mysite")}
        subprocess.run([str(self.home / "venv" / "bin" / "python"), "-c", code], cwd=self.home / "mysite",
                       env=env, check=True, capture_output=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _corpus() -> list[dict[str, Any]]:
    """Three categories, threads of 1 to 45 posts (45 → three pages of 20)."""
    records: list[dict[str, Any]] = []
    start = datetime(2025, 1, 28, 4, 17, tzinfo=CST)
    sizes = [45, 1, 3, 21, 2, 5, 0, 4]
    for t, replies in enumerate(sizes):
        key = f"t{t}"
        records.append({"id": key, "title": f"关于生育补贴的讨论{t}号帖",
                        "body": f"楼主的正文{t}：生育补贴什么时候发？", "author": f"楼主{t}",
                        "created_at": (start + timedelta(hours=t)).isoformat(),
                        "category": ["社会民生", "健康医疗", "教育考试"][t % 3]})
        for r in range(replies):
            records.append({"thread": key, "title": "", "body": f"第{r + 2}楼的回复，帖子{t}。",
                            "author": f"网友{(t * 7 + r) % 11}",
                            "created_at": (start + timedelta(hours=t, minutes=5 * (r + 1))).isoformat()})
    return records


@pytest.fixture(scope="session")
def spirit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    home = tmp_path_factory.mktemp("spirit")
    records = _corpus()
    posts = home / "posts.jsonl"
    posts.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "FORUM_HOME": str(home / "forum")}
    result = subprocess.run([str(FORUM / "recipe.sh"), "start", str(posts), str(port)], env=env,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"the Spirit forum did not start: {result.stderr[-2000:]}")
    try:
        yield Forum(f"http://127.0.0.1:{port}/", home / "forum", records)
    finally:
        subprocess.run([str(FORUM / "recipe.sh"), "stop"], env=env, capture_output=True, timeout=60)


def spirit_source(forum: Forum) -> dict[str, Any]:
    return {
        "name": "spirit", "kind": "forum", "start_urls": [forum.url],
        "selectors": {
            "boards": "a.menu_list__link[href^='/category/']::attr(href)",
            "links": "div.layout__topics__topic a.topic__link::attr(href)",
            "next_page": NEXT, "thread_next_page": NEXT,
            "thread_title": "h1.headline",
            "post": "div.comments_list__comment", "post_body": "div.comment__text",
            "post_author": "a.comment__info__username__link span::text",
            "post_time": "ul.comment__info__date li",
        },
    }


def test_every_post_and_reply_stored_then_incremental(spirit: Forum, sqlite_url: str, tmp_path: Path) -> None:
    config, path = write_config(tmp_path, sqlite_url, [spirit_source(spirit)])
    first = crawl_source(config, path, "spirit")
    assert first.status == "ok", first.message
    posts = list(stored_posts(sqlite_url).values())
    assert len(posts) == len(spirit.records) == first.new_posts

    threads: dict[str, list[Any]] = {}
    for post in posts:
        assert post.thread_url is not None and post.url == f"{post.thread_url}#floor-{post.floor}"
        threads.setdefault(post.thread_url, []).append(post)
    assert len(threads) == 8
    expected_by_title = {}
    for record in spirit.records:
        if record["title"]:
            current = record["title"]
            expected_by_title[current] = [record]
        else:
            expected_by_title[current].append(record)
    for thread_posts in threads.values():
        thread_posts.sort(key=lambda p: p.floor)
        title = thread_posts[0].title
        expected = expected_by_title[title]
        assert [p.floor for p in thread_posts] == list(range(1, len(expected) + 1))
        for post, record in zip(thread_posts, expected, strict=True):
            assert post.title == title
            assert post.text == record["body"]
            assert post.author == record["author"]
            assert post.published_at == datetime.fromisoformat(record["created_at"])

    # nothing changed: no thread page is fetched, nothing is added
    second = crawl_source(config, path, "spirit")
    assert second.status == "ok"
    assert second.new_posts == 0 and second.updated_posts == 0
    assert second.stats["threads_unchanged"] >= 8
    assert second.pages < first.pages - 8  # board pages only (home, categories, their next pages)

    # a reply to the long thread: the next crawl reads its last page (or a new one) only
    long_title = "关于生育补贴的讨论0号帖"
    when = datetime(2025, 3, 1, 9, 30, tzinfo=CST)
    spirit.add_reply(long_title, "新来的网友", "补贴到账了，感谢！", when)
    third = crawl_source(config, path, "spirit")
    assert third.new_posts == 1 and third.updated_posts == 0
    assert third.pages - second.pages in (1, 2)  # the thread's last page (+1 if the reply opened a new page)
    new = [p for p in stored_posts(sqlite_url).values() if p.author == "新来的网友"]
    assert len(new) == 1
    assert new[0].floor == 47 and new[0].title == long_title and new[0].text == "补贴到账了，感谢！"
    assert new[0].published_at == when
