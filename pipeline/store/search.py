"""Search posts with the topic-rule language (``nlp.rules``) in the database, and highlight matches.

An expression (``(三孩 OR 育儿补贴) AND NOT 谣言``, ``"生育 政策"``, ``补贴 NEAR/5 到账``,
``title:罚款``) is parsed by :func:`nlp.rules.compile_rule` and turned into one SQL condition:

* a term matches when its field(s) contain it as a substring, ignoring the case of ASCII
  letters. Terms are normalised as in topic rules (full-width → half-width, traditional →
  simplified), but the stored text is not: a post written in traditional characters is not
  found (topic rules, which convert both, do match it). AND, OR and NOT are SQL's. ``a NEAR/n b`` is a regular
  expression (at most n characters between the two, in the same field), checked in the
  database after the index has found the posts that contain both.
* the index (`pipeline.search_index`) holds the processed posts; those still waiting for
  ``yuqing process`` are few and are found by a scan of the unprocessed-posts index.
* a term shorter than three characters has no trigram, so no index can find it: an expression
  that can only be answered by scanning (:attr:`SearchQuery.indexed` false) is restricted to a
  recent window by the caller (the inbox: `SHORT_QUERY_DAYS`), and the page says so.

``indexed=False`` builds the plain-scan condition of the same meaning (``LIKE`` over posts),
used where the index is missing and by the tests that compare both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    column,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from nlp.rules import RuleSyntaxError, _And, _Near, _Node, _Not, _Or, _Term, compile_rule, positive_terms
from nlp.tokenize import normalize_for_match
from pipeline.models import Post
from pipeline.search_index import FTS_TABLE

__all__ = ["Highlight", "RuleSyntaxError", "SearchQuery", "highlights", "parse_query", "search_condition"]

TRIGRAM = 3  # the shortest term an index can find
SHORT_QUERY_DAYS = 7  # how far back an expression that cannot use the index looks in the inbox
_PG_MAX_REPEAT = 255  # PostgreSQL regular expressions allow bounds up to 255
_REGEX_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}\-#\s])")


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search expression."""

    expression: str
    root: _Node
    terms: tuple[str, ...]  # the terms that are looked for (not under NOT), for highlighting
    indexed: bool  # every way of matching needs a term of >= 3 characters: the index can answer it


@dataclass(frozen=True)
class Highlight:
    field: str  # "title" or "text"
    start: int  # offsets into the stored field, end exclusive
    end: int


@lru_cache(maxsize=256)
def parse_query(expression: str) -> SearchQuery:
    """Parse ``expression``; raises :class:`RuleSyntaxError` (a ValueError) naming the position."""
    rule = compile_rule(expression.strip())
    positive = sorted({t.text for t in positive_terms(rule.root) if t.text}, key=lambda t: (-len(t), t))
    return SearchQuery(expression=expression.strip(), root=rule.root, terms=tuple(positive),
                       indexed=_answerable_by_index(rule.root))


def _answerable_by_index(node: _Node) -> bool:
    """True when every post the expression matches contains some term of >= 3 characters that
    the expression requires, so the index finds the candidates."""
    if isinstance(node, _Term):
        return len(node.text) >= TRIGRAM
    if isinstance(node, _Not):
        return False
    if isinstance(node, _Near):
        return all(len(t.text) >= TRIGRAM for t in node.left) or all(len(t.text) >= TRIGRAM for t in node.right)
    if isinstance(node, _And):
        return any(_answerable_by_index(item) for item in node.items)
    return all(_answerable_by_index(item) for item in node.items)


# ----------------------------------------------------------------------------- SQL
def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_COLUMNS = {"title": Post.title, "body": Post.text}
_FTS = table(FTS_TABLE, column("rowid", Integer))


class _Compiler:
    def __init__(self, dialect: str, indexed: bool) -> None:
        self.dialect = dialect
        self.indexed = indexed

    def node(self, node: _Node) -> ColumnElement[bool]:
        if isinstance(node, _Term):
            return self.term(node.text, node.fields)
        if isinstance(node, _Not):
            return not_(self.node(node.item))
        if isinstance(node, _And):
            return and_(*(self.node(i) for i in node.items))
        if isinstance(node, _Or):
            return or_(*(self.node(i) for i in node.items))
        return self.near(node)

    def like(self, field: str, term: str) -> ColumnElement[bool]:
        """``field`` contains ``term``, ignoring the case of ASCII letters. PostgreSQL's ILIKE lowers
        every text it reads, several times slower than LIKE: a term without letters (most Chinese
        terms) uses LIKE. SQLite's LIKE ignores the case of ASCII letters."""
        pattern = f"%{_like_escape(term)}%"
        if self.dialect == "postgresql" and term.lower() != term.upper():
            return _COLUMNS[field].ilike(pattern, escape="\\")
        return _COLUMNS[field].like(pattern, escape="\\")

    def scan(self, term: str, fields: tuple[str, ...]) -> ColumnElement[bool]:
        return or_(*(self.like(f, term) for f in fields))

    def term(self, term: str, fields: tuple[str, ...]) -> ColumnElement[bool]:
        if not term:
            return true()
        if not self.indexed or len(term) < TRIGRAM:
            return self.scan(term, fields)
        waiting = Post.processed_at.is_(None)
        if self.dialect == "postgresql":  # the partial GIN indexes hold the processed posts
            return or_(*(and_(Post.processed_at.is_not(None), self.like(f, term)) for f in fields),
                       and_(waiting, self.scan(term, fields)))
        # FTS5 (detail=none) finds the processed posts that hold every trigram of the term, in
        # either field, with one look-up; LIKE on those few rows (and on the waiting ones) decides.
        trigrams = " AND ".join('"{}"'.format(term[i:i + TRIGRAM].replace('"', '""'))
                                for i in range(len(term) - TRIGRAM + 1))
        waiting_posts = Post.__table__.alias("waiting")
        candidates = union_all(select(_FTS.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(trigrams)),
                               select(waiting_posts.c.id).where(waiting_posts.c.processed_at.is_(None)))
        return and_(Post.id.in_(candidates), self.scan(term, fields))

    def near(self, node: _Near) -> ColumnElement[bool]:
        lefts, rights = [t.text for t in node.left], [t.text for t in node.right]
        both = and_(or_(*(self.term(t.text, t.fields) for t in node.left)),
                    or_(*(self.term(t.text, t.fields) for t in node.right)))
        pattern = near_pattern(lefts, rights, node.distance)
        fields = sorted({f for t in (*node.left, *node.right) for f in t.fields})
        return and_(both, or_(*(_COLUMNS[f].regexp_match(pattern) for f in fields)))


def _regex_escape(term: str) -> str:
    return _REGEX_SPECIAL.sub(r"\\\1", term)


def near_pattern(lefts: list[str], rights: list[str], distance: int) -> str:
    """A regular expression, the same in Python and PostgreSQL: a left term and a right term
    (either first) with at most ``distance`` characters between them."""
    gap = "".join(".{0,%d}" % min(_PG_MAX_REPEAT, distance - k)  # noqa: UP031 - braces of the regex
                  for k in range(0, max(distance, 1), _PG_MAX_REPEAT)) if distance > 0 else ""
    left = "|".join(_regex_escape(t) for t in lefts)
    right = "|".join(_regex_escape(t) for t in rights)
    return f"(?is)(?:{left}){gap}(?:{right})|(?:{right}){gap}(?:{left})"


def search_condition(session: Session, query: SearchQuery, *, indexed: bool | None = None) -> ColumnElement[bool]:
    """The WHERE term for posts matching ``query`` (``indexed``: None uses the index if present)."""
    dialect = session.get_bind().dialect.name
    if indexed is None:
        indexed = has_search_index(session)
    return _Compiler(dialect, indexed).node(query.root)


def has_search_index(session: Session) -> bool:
    """Whether the index of `pipeline.search_index` exists (looked up once per engine)."""
    bind = session.get_bind()
    key = str(bind.engine.url)
    if key not in _INDEX_PRESENT:
        if bind.dialect.name == "sqlite":
            sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :n"
            present = bool(session.execute(text(sql), {"n": FTS_TABLE}).scalar())
        else:
            present = True  # ILIKE is the same condition with or without pg_trgm's indexes
        if present:
            _INDEX_PRESENT[key] = present
        return present
    return _INDEX_PRESENT[key]


_INDEX_PRESENT: dict[str, bool] = {}


def match_ids(session: Session, query: SearchQuery, *, indexed: bool | None = None) -> list[int]:
    """Ids of every post matching ``query``, ascending (tests, small result sets)."""
    stmt = select(Post.id).where(search_condition(session, query, indexed=indexed)).order_by(Post.id)
    return list(session.scalars(stmt))


# ----------------------------------------------------------------------------- highlighting
def highlights(query: SearchQuery, title: str, body: str) -> list[Highlight]:
    """Where the terms of ``query`` occur, as offsets into the stored title and text (merged
    where they overlap). Case- and width-insensitive as matching is; offsets survive
    normalisation because it maps one character to one character."""
    out: list[Highlight] = []
    for field, value in (("title", title), ("text", body)):
        if not value:
            continue
        folded = normalize_for_match(value)
        spans: list[tuple[int, int]] = []
        for term in query.terms:
            start = folded.find(term)
            while start >= 0:
                spans.append((start, start + len(term)))
                start = folded.find(term, start + 1)
        for start, end in sorted(spans):
            if out and out[-1].field == field and start <= out[-1].end:
                if end > out[-1].end:
                    out[-1] = Highlight(field, out[-1].start, end)
            else:
                out.append(Highlight(field, start, end))
    return out


def snippet(value: str, marks: list[Highlight], field: str, *, width: int = 110) -> tuple[int, int]:
    """The [start, end) window of ``value`` to show: around the first highlight in ``field``."""
    first = next((m for m in marks if m.field == field), None)
    if first is None or first.end <= width:
        return 0, min(len(value), width)
    start = max(0, first.start - width // 3)
    return start, min(len(value), start + width)

