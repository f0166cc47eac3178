"""Boolean keyword profiles (topic rules), compiled once and matched with one Aho-Corasick scan.

Expression language (operators upper-case; terms are case- and width-insensitive and
traditional characters match their simplified forms)::

    expr    := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*          # juxtaposition means AND
    not     := "NOT" not | near
    near    := atom ("NEAR/" n atom)*       # n = max characters between the two terms, same field
    atom    := TERM | "quoted phrase" | "(" expr ")" | ("title:" | "body:") atom

Precedence, loosest first: OR, AND, NOT, NEAR. ``NEAR/n`` operands are terms, phrases or
parenthesised OR-groups of terms. ``scope`` (``title``, ``body``, ``all``) restricts which field
a whole rule looks at; ``title:``/``body:`` restrict one operand.

Example: ``(生育政策 OR 三孩 OR 育儿补贴) AND NOT (拐卖 OR 明星)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ahocorasick

from nlp.exceptions import RuleSyntaxError
from nlp.tokenize import normalize_for_match

__all__ = ["Hit", "Match", "Rule", "RuleSyntaxError", "TopicMatcher", "compile_rule", "positive_terms"]

FIELDS = ("title", "body")
SCOPES = ("title", "body", "all")


@dataclass(frozen=True, slots=True)
class Hit:
    term: str
    field: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Match:
    """A rule matched; ``hits`` are the occurrences of its positive terms (for highlighting)."""

    hits: tuple[Hit, ...]

    @property
    def terms(self) -> list[str]:
        return sorted({h.term for h in self.hits})


Hits = dict[str, list[Hit]]


# ----------------------------------------------------------------------------- AST
@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    fields: tuple[str, ...]

    def eval(self, hits: Hits) -> bool:
        return any(h.field in self.fields for h in hits.get(self.text, ()))

    def occurrences(self, hits: Hits) -> list[Hit]:
        return [h for h in hits.get(self.text, ()) if h.field in self.fields]


@dataclass(frozen=True, slots=True)
class _Or:
    items: tuple[_Node, ...]

    def eval(self, hits: Hits) -> bool:
        return any(i.eval(hits) for i in self.items)


@dataclass(frozen=True, slots=True)
class _And:
    items: tuple[_Node, ...]

    def eval(self, hits: Hits) -> bool:
        return all(i.eval(hits) for i in self.items)


@dataclass(frozen=True, slots=True)
class _Not:
    item: _Node

    def eval(self, hits: Hits) -> bool:
        return not self.item.eval(hits)


@dataclass(frozen=True, slots=True)
class _Near:
    left: tuple[_Term, ...]
    right: tuple[_Term, ...]
    distance: int

    def eval(self, hits: Hits) -> bool:
        lefts = [h for t in self.left for h in t.occurrences(hits)]
        if not lefts:
            return False
        rights = [h for t in self.right for h in t.occurrences(hits)]
        for a in lefts:
            for b in rights:
                if a.field == b.field and max(b.start - a.end, a.start - b.end) <= self.distance:
                    return True
        return False


_Node = _Term | _Or | _And | _Not | _Near


# ----------------------------------------------------------------------------- parser
_TOKEN_RE = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|"(?P<phrase>[^"]*)(?P<closed>")?'
    r"|(?P<near>NEAR/(?P<n>\d+)?)|(?P<word>[^\s()\"]+))"
)


@dataclass
class _Tok:
    kind: str  # lp rp term near op end
    value: str
    pos: int
    near: int = 0


def _lex(expr: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(expr, pos)
        if m is None:  # pragma: no cover - the word alternative matches anything else
            raise RuleSyntaxError("unexpected character", expr, pos)
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        if m.group("lp"):
            toks.append(_Tok("lp", "(", start))
        elif m.group("rp"):
            toks.append(_Tok("rp", ")", start))
        elif m.group("phrase") is not None:
            if not m.group("closed"):
                raise RuleSyntaxError("unterminated quoted phrase", expr, start)
            if not m.group("phrase").strip():
                raise RuleSyntaxError("empty quoted phrase", expr, start)
            toks.append(_Tok("term", m.group("phrase"), start))
        elif m.group("near"):
            if m.group("n") is None:
                raise RuleSyntaxError("NEAR needs a distance, e.g. NEAR/5", expr, start)
            toks.append(_Tok("near", "NEAR", start, int(m.group("n"))))
        else:
            word = m.group("word")
            toks.append(_Tok("op" if word in ("AND", "OR", "NOT") else "term", word, start))
        pos = m.end()
    toks.append(_Tok("end", "", len(expr)))
    return toks


class _Parser:
    def __init__(self, expr: str, scope_fields: tuple[str, ...]) -> None:
        self.expr = expr
        self.toks = _lex(expr)
        self.i = 0
        self.scope_fields = scope_fields
        self.terms: set[str] = set()

    def error(self, msg: str, tok: _Tok | None = None) -> RuleSyntaxError:
        tok = tok or self.toks[self.i]
        return RuleSyntaxError(msg, self.expr, tok.pos)

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def parse(self) -> _Node:
        if self.tok.kind == "end":
            raise self.error("empty expression")
        node = self.parse_or()
        if self.tok.kind != "end":
            raise self.error("unexpected ')'" if self.tok.kind == "rp" else f"unexpected {self.tok.value!r}")
        return node

    def parse_or(self) -> _Node:
        items = [self.parse_and()]
        while self.tok.kind == "op" and self.tok.value == "OR":
            self.i += 1
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else _Or(tuple(items))

    def parse_and(self) -> _Node:
        items = [self.parse_not()]
        while True:
            if self.tok.kind == "op" and self.tok.value == "AND":
                self.i += 1
                items.append(self.parse_not())
            elif self.tok.kind in ("term", "lp") or (self.tok.kind == "op" and self.tok.value == "NOT"):
                items.append(self.parse_not())
            else:
                break
        return items[0] if len(items) == 1 else _And(tuple(items))

    def parse_not(self) -> _Node:
        if self.tok.kind == "op" and self.tok.value == "NOT":
            self.i += 1
            return _Not(self.parse_not())
        return self.parse_near()

    def parse_near(self) -> _Node:
        left = self.parse_atom()
        while self.tok.kind == "near":
            near_tok = self.tok
            self.i += 1
            right = self.parse_atom()
            left = _Near(self._near_terms(left, near_tok), self._near_terms(right, near_tok), near_tok.near)
        return left

    def _near_terms(self, node: _Node, at: _Tok) -> tuple[_Term, ...]:
        if isinstance(node, _Term):
            return (node,)
        if isinstance(node, _Or) and all(isinstance(i, _Term) for i in node.items):
            return tuple(i for i in node.items if isinstance(i, _Term))
        raise self.error("NEAR operands must be terms, phrases or (a OR b) groups of terms", at)

    def parse_atom(self, fields: tuple[str, ...] | None = None) -> _Node:
        tok = self.tok
        fields = fields or self.scope_fields
        if tok.kind == "lp":
            self.i += 1
            if self.tok.kind == "rp":
                raise self.error("empty parentheses")
            node = self.parse_or()
            if self.tok.kind != "rp":
                raise self.error("missing ')' for '(' opened", tok)
            self.i += 1
            return node if fields == self.scope_fields else _restrict(node, fields)
        if tok.kind == "term":
            self.i += 1
            prefix, _, rest = tok.value.partition(":")
            if rest == "" and prefix in FIELDS and tok.value.endswith(":"):
                # "title:" followed by an atom, e.g. title:(a OR b) or title: "x y"
                return self.parse_atom((prefix,))
            if rest and prefix in FIELDS:
                tok = _Tok("term", rest, tok.pos + len(prefix) + 1)
                fields = (prefix,)
            text = normalize_for_match(tok.value).strip()
            self.terms.add(text)
            return _Term(text, tuple(f for f in fields if f in self.scope_fields) or fields)
        if tok.kind == "end":
            raise self.error("expression ends where a term was expected")
        if tok.kind == "rp":
            raise self.error("unexpected ')'")
        raise self.error(f"operator {tok.value} where a term was expected")


def _restrict(node: _Node, fields: tuple[str, ...]) -> _Node:
    if isinstance(node, _Term):
        return _Term(node.text, fields)
    if isinstance(node, _Or):
        return _Or(tuple(_restrict(i, fields) for i in node.items))
    if isinstance(node, _And):
        return _And(tuple(_restrict(i, fields) for i in node.items))
    if isinstance(node, _Not):
        return _Not(_restrict(node.item, fields))
    return _Near(
        tuple(_Term(t.text, fields) for t in node.left),
        tuple(_Term(t.text, fields) for t in node.right),
        node.distance,
    )


def positive_terms(node: _Node, negated: bool = False) -> list[_Term]:
    """The terms an expression requires to be present (not under an odd number of NOTs)."""
    if isinstance(node, _Term):
        return [] if negated else [node]
    if isinstance(node, _Not):
        return positive_terms(node.item, not negated)
    if isinstance(node, _Near):
        return [] if negated else [*node.left, *node.right]
    return [t for i in node.items for t in positive_terms(i, negated)]


# ----------------------------------------------------------------------------- matching
def _automaton(terms: Iterable[str]) -> ahocorasick.Automaton | None:
    auto = ahocorasick.Automaton()
    for term in terms:
        auto.add_word(term, (term, len(term)))
    if len(auto) == 0:
        return None
    auto.make_automaton()
    return auto


def _scan(auto: ahocorasick.Automaton | None, title: str, body: str, normalized: bool = False) -> Hits:
    hits: Hits = {}
    if auto is None:
        return hits
    for fld, text in (("title", title), ("body", body)):
        if not text:
            continue
        for end, (term, n) in auto.iter(text if normalized else normalize_for_match(text)):
            hits.setdefault(term, []).append(Hit(term, fld, end - n + 1, end + 1))
    return hits


@dataclass
class Rule:
    """A compiled expression. Build with :func:`compile_rule`."""

    expression: str
    scope: str
    root: _Node
    terms: frozenset[str]
    matches_empty: bool
    _positive: tuple[_Term, ...] = field(default=(), repr=False)
    _auto: ahocorasick.Automaton | None = field(default=None, repr=False)

    def evaluate(self, hits: Hits) -> Match | None:
        """Evaluate against pre-computed term hits (used by :class:`TopicMatcher`)."""
        if not self.root.eval(hits):
            return None
        found = {h for t in self._positive for h in t.occurrences(hits)}
        return Match(tuple(sorted(found, key=lambda h: (h.field, h.start, h.end, h.term))))

    def match(self, title: str, body: str) -> Match | None:
        if self._auto is None and self.terms:
            self._auto = _automaton(self.terms)
        return self.evaluate(_scan(self._auto, title, body))


def compile_rule(expression: str, scope: str = "all") -> Rule:
    """Parse ``expression``; raises :class:`RuleSyntaxError` naming the position of the problem."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    fields = FIELDS if scope == "all" else (scope,)
    parser = _Parser(expression, fields)
    root = parser.parse()
    return Rule(
        expression=expression,
        scope=scope,
        root=root,
        terms=frozenset(parser.terms),
        matches_empty=root.eval({}),
        _positive=tuple(positive_terms(root)),
    )


class TopicMatcher:
    """All topics' rules behind one automaton: one scan of title and body per post."""

    def __init__(self, rules: dict[str, Rule]) -> None:
        self.rules = rules
        self._auto = _automaton({t for r in rules.values() for t in r.terms})
        self._by_term: dict[str, list[str]] = {}
        for name, rule in rules.items():
            for term in rule.terms:
                self._by_term.setdefault(term, []).append(name)
        self._always = [name for name, rule in rules.items() if rule.matches_empty]

    @classmethod
    def from_topics(cls, topics: Iterable[Sequence[str]]) -> TopicMatcher:
        """``topics``: ``(name, expression)`` or ``(name, expression, scope)`` tuples."""
        rules: dict[str, Rule] = {}
        for topic in topics:
            name, expression = topic[0], topic[1]
            scope = topic[2] if len(topic) > 2 else "all"
            rules[name] = compile_rule(expression, scope)
        return cls(rules)

    def match(self, title: str, body: str, *, normalized: bool = False) -> dict[str, Match]:
        """Topics whose rule matched, with their hits (``normalized``: the fields already went
        through :func:`nlp.tokenize.normalize_for_match`, which keeps every offset)."""
        hits = _scan(self._auto, title, body, normalized)
        candidates = set(self._always)
        for term in hits:
            candidates.update(self._by_term[term])
        out: dict[str, Match] = {}
        for name in sorted(candidates):
            m = self.rules[name].evaluate(hits)
            if m is not None:
                out[name] = m
        return out
