"""Search (pipeline.store.search) on SQLite and PostgreSQL: the index and the plain scan give the
same posts for the same expression; highlights point into the stored text; retention, bulk
import and re-crawled posts keep the index in step."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from nlp.rules import compile_rule
from pipeline.db import transaction
from pipeline.importing import import_file
from pipeline.models import Post
from pipeline.retention import apply_retention
from pipeline.search_index import FTS_TABLE
from pipeline.store.inbox import InboxFilter
from pipeline.store.posts import add_posts
from pipeline.store.search import (
    SHORT_QUERY_DAYS,
    RuleSyntaxError,
    highlights,
    match_ids,
    near_pattern,
    parse_query,
)
from tests.conftest import FakeClock
from tests.factories import make_post

TEXTS = {  # key: (title, text)
    "fine": ("网传二孩罚款十万", "网传超生二孩罚款十万元，系谣言。"),
    "subsidy": ("育儿补贴没到账", "我家三孩育儿补贴迟迟没有到账，希望回应。"),
    "near": ("咨询", "补贴什么时候到账？"),
    "far": ("咨询", "补贴的事情已经问了很多次，还是没有到账。"),
    "ascii": ("APP 登记", "生育登记 app 打不开, 50%_off"),
    "county": ("青山县通报", "青山县卫健委回应三孩补贴问题。"),
    "other": ("明星八卦", "与本地无关的娱乐新闻"),
    "waiting": ("青山县补贴", "还没处理的帖子：育儿补贴和罚款"),  # not processed: not in the index yet
}

QUERIES = {
    "育儿补贴": {"subsidy", "waiting"},
    "补贴": {"subsidy", "near", "far", "county", "waiting"},  # two characters: no trigram
    "贴": {"subsidy", "near", "far", "county", "waiting"},  # one character
    "罚款 AND NOT 谣言": {"waiting"},
    "罚款十万 OR 青山县": {"fine", "county", "waiting"},
    "title:罚款": {"fine"},
    "title:青山县 NOT title:补贴": {"county"},
    '"三孩 育儿"': set(),
    "补贴 NEAR/3 到账": {"subsidy"},  # in its title
    "补贴 NEAR/5 到账": {"near", "subsidy"},
    "补贴 NEAR/30 到账": {"near", "far", "subsidy"},
    "app": {"ascii"},
    "APP 打不开": {"ascii"},
    "50%_": {"ascii"},
    "%": {"ascii"},
    "NOT 补贴": {"fine", "ascii", "other"},
}


@pytest.fixture
def posts(factory: sessionmaker[Session], clock: FakeClock) -> dict[str, int]:
    with transaction(factory) as session:
        result = add_posts(session, [make_post(title=t, text=b) for t, b in TEXTS.values()])
        ids = dict(zip(TEXTS, result.new_ids, strict=True))
        _process(session, [i for key, i in ids.items() if key != "waiting"], clock.now())
    return ids


def _process(session: Session, ids: list[int], now: datetime) -> None:
    """What `pipeline.process` does to a post once it is analysed."""
    session.execute(update(Post).where(Post.id.in_(ids)).values(processed_at=now))


def _names(ids: dict[str, int], found: list[int]) -> set[str]:
    back = {v: k for k, v in ids.items()}
    return {back[i] for i in found}


@pytest.mark.parametrize("expression", list(QUERIES))
def test_index_and_scan_find_the_same_posts(expression: str, posts: dict[str, int], session: Session) -> None:
    query = parse_query(expression)
    indexed = match_ids(session, query)
    assert _names(posts, indexed) == QUERIES[expression]
    assert match_ids(session, query, indexed=False) == indexed
    rule = compile_rule(expression)
    assert {k for k, (t, b) in TEXTS.items() if rule.match(t, b)} == QUERIES[expression], "as topic rules match"


def test_short_and_negative_queries_say_they_cannot_use_the_index() -> None:
    assert parse_query("育儿补贴").indexed and parse_query("罚款十万 OR 青山县").indexed
    assert parse_query("补贴 AND 青山县").indexed, "one long term required is enough"
    assert not parse_query("贴").indexed and not parse_query("补贴").indexed
    assert not parse_query("NOT 青山县").indexed and not parse_query("补贴 OR 青山县").indexed


def test_highlights_point_into_the_stored_text(posts: dict[str, int], session: Session) -> None:
    query = parse_query("APP OR 罚款 OR 补")
    for post in session.scalars(select(Post).where(Post.id.in_(match_ids(session, query)))):
        marks = highlights(query, post.title, post.text)
        assert marks, post.title
        for m in marks:
            shown = (post.title if m.field == "title" else post.text)[m.start:m.end]
            assert shown.lower() in ("app", "罚款", "补"), shown
    assert [(m.field, m.start, m.end) for m in highlights(query, "APP 登记", "生育登记 app 打不开")] == [
        ("title", 0, 3), ("text", 5, 8)]


def test_a_bad_expression_names_its_position() -> None:
    with pytest.raises(RuleSyntaxError, match="position 3"):
        parse_query('补贴 "到账')


def test_near_pattern_is_one_regex_for_python_and_postgresql() -> None:
    import re

    pattern = near_pattern(["a.b"], ["c"], 600)  # PostgreSQL bounds stop at 255
    assert "{0,255}{0,255}" not in pattern and pattern.count("{0,") == 6
    assert re.search(pattern, "xa.b" + "-" * 600 + "c") and not re.search(pattern, "a.b" + "-" * 601 + "c")
    assert not re.search(pattern, "axb c"), "the dot of the term is literal"


def test_retention_takes_deleted_posts_out_of_the_index(posts: dict[str, int], factory: sessionmaker[Session],
                                                         make_config, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    config = make_config(retention={"posts": "30d"})
    with transaction(factory) as session:
        session.execute(update(Post).where(Post.id.in_([posts["fine"], posts["county"]]))
                        .values(fetched_at=clock.now() - timedelta(days=40)))
    report = apply_retention(factory, config, now=clock.now())
    assert report.posts == 2
    with factory() as session:
        assert _names(posts, match_ids(session, parse_query("罚款十万 OR 青山县"))) == {"waiting"}
        assert _index_ids(session, "青山县") == set(), "no stale entry left in the index"
        _assert_index_in_step(session)
        assert match_ids(session, parse_query("罚款十万 OR 青山县"), indexed=False) == [posts["waiting"]]


def _assert_index_in_step(session: Session) -> None:
    """SQLite: the FTS table holds exactly the processed posts (one docsize row per document)."""
    if session.get_bind().dialect.name == "sqlite":
        indexed = set(session.scalars(text(f"SELECT id FROM {FTS_TABLE}_docsize")))
        assert indexed == set(session.scalars(select(Post.id).where(Post.processed_at.is_not(None))))


def _index_ids(session: Session, term: str) -> set[int]:
    """Post ids the index itself holds for ``term`` (SQLite's FTS table; PostgreSQL's partial GIN)."""
    if session.get_bind().dialect.name == "sqlite":
        # one LIKE per query: FTS5 answers an OR by reading the posts table, not its index
        sql = (f"SELECT rowid FROM {FTS_TABLE} WHERE title LIKE :p "
               f"UNION SELECT rowid FROM {FTS_TABLE} WHERE text LIKE :p")
    else:
        sql = "SELECT id FROM posts WHERE processed_at IS NOT NULL AND (title ILIKE :p OR text ILIKE :p)"
    return set(session.scalars(text(sql), {"p": f"%{term}%"}))


def test_a_recrawled_post_is_found_by_its_new_text(posts: dict[str, int], factory: sessionmaker[Session],
                                                  clock: FakeClock) -> None:
    with transaction(factory) as session:
        url = session.scalar(select(Post.url).where(Post.id == posts["other"]))
        result = add_posts(session, [make_post(url=url, title="明星八卦", text="改写后的内容提到了育儿补贴")])
        assert result.updated == 1
    with factory() as session:
        assert posts["other"] in match_ids(session, parse_query("育儿补贴")), "waiting for processing: scanned"
        assert _index_ids(session, "娱乐新闻") == set(), "the old text left the index"
        _assert_index_in_step(session)
    with transaction(factory) as session:
        _process(session, [posts["other"]], clock.now())
    with factory() as session:
        assert posts["other"] in _index_ids(session, "育儿补贴")
        assert match_ids(session, parse_query("娱乐新闻")) == []
        _assert_index_in_step(session)


def test_imported_posts_are_searchable_before_and_after_processing(factory: sessionmaker[Session], make_config,
                                                                  tmp_path: Path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.jsonl"
    lines = [f'{{"url": "https://x.example.cn/{n}", "title": "导入{n}", "text": "白水县第{n}条留言"}}'
             for n in range(30)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_file(factory, make_config(), path, source="files")
    assert summary.new == 30
    with factory() as session:
        ids = match_ids(session, parse_query("白水县"))
        assert len(ids) == 30 and match_ids(session, parse_query("白水县第7条")) == [ids[7]]
    with transaction(factory) as session:
        _process(session, ids, clock.now())
    with factory() as session:
        assert match_ids(session, parse_query("白水县")) == ids
        assert _index_ids(session, "白水县") == set(ids)
        _assert_index_in_step(session)
        assert match_ids(session, parse_query("白水县"), indexed=False) == ids


def test_a_search_the_index_cannot_answer_is_bounded_to_recent_days() -> None:
    today = date(2026, 3, 5)
    short = InboxFilter(q="补贴").bounded(today)
    assert short.narrowed and short.since == today - timedelta(days=SHORT_QUERY_DAYS - 1)
    old = InboxFilter(q="补贴", until=date(2026, 1, 31)).bounded(today)
    assert old.since == date(2026, 1, 31) - timedelta(days=SHORT_QUERY_DAYS - 1), "the last days of the range"
    assert not InboxFilter(q="补贴", since=date(2026, 3, 4)).bounded(today).narrowed, "already narrow"
    assert InboxFilter(q="育儿补贴").bounded(today) == InboxFilter(q="育儿补贴"), "the index answers it"
