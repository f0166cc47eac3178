from __future__ import annotations

import pytest

from nlp.exceptions import RuleSyntaxError
from nlp.rules import TopicMatcher, compile_rule

FERTILITY = "(生育政策 OR 三孩 OR 育儿补贴) AND NOT (拐卖 OR 明星)"


def test_config_example() -> None:
    rule = compile_rule(FERTILITY, "all")
    m = rule.match("三孩政策来了", "各地发放育儿补贴")
    assert m is not None
    assert m.terms == ["三孩", "育儿补贴"]
    hit = next(h for h in m.hits if h.term == "育儿补贴")
    assert (hit.field, hit.start, hit.end) == ("body", 4, 8)
    assert rule.match("明星生三孩", "") is None  # exclusion
    assert rule.match("天气", "晴") is None


def test_precedence_and_binds_tighter_than_or() -> None:
    rule = compile_rule("a OR b AND c")
    assert rule.match("", "a") is not None
    assert rule.match("", "b") is None
    assert rule.match("", "b c") is not None
    grouped = compile_rule("(a OR b) AND c")
    assert grouped.match("", "a") is None


def test_implicit_and_and_not_precedence() -> None:
    rule = compile_rule("计划生育 罚款 NOT 拐卖")
    assert rule.match("", "计划生育超生罚款") is not None
    assert rule.match("", "计划生育罚款拐卖") is None
    assert rule.match("", "计划生育") is None


def test_quoted_phrase_and_case_width_traditional() -> None:
    rule = compile_rule('"iPhone SE" OR 計劃生育')
    assert rule.match("", "新款ＩＰＨＯＮＥ ＳＥ") is not None
    assert rule.match("", "计划生育") is not None
    assert rule.match("", "iphone") is None


def test_near() -> None:
    rule = compile_rule("社会抚养费 NEAR/5 (退还 OR 退钱)")
    assert rule.match("", "社会抚养费能不能退还") is not None
    assert rule.match("", "退钱！社会抚养费") is not None
    assert rule.match("", "社会抚养费的问题我们以后再说，今天先讲退还") is None
    # NEAR needs both terms in the same field
    assert rule.match("社会抚养费", "退还") is None


def test_scope_and_field_prefix() -> None:
    title_only = compile_rule("三孩", scope="title")
    assert title_only.match("三孩", "") is not None
    assert title_only.match("", "三孩") is None
    prefixed = compile_rule("title:三孩 AND body:补贴")
    assert prefixed.match("三孩", "补贴") is not None
    assert prefixed.match("补贴", "三孩") is None


@pytest.mark.parametrize(
    ("expr", "position", "fragment"),
    [
        ("三孩 AND", 6, "expression ends"),
        ("(三孩 OR 二孩", 0, "missing ')'"),
        ("三孩 OR ) 二孩", 6, "unexpected ')'"),
        ('"三孩 OR 二孩', 0, "unterminated"),
        ("三孩 NEAR/ 补贴", 3, "NEAR needs a distance"),
        ("OR 三孩", 0, "operator OR"),
        ("", 0, "empty expression"),
        ("(a AND b) NEAR/3 c", 10, "NEAR operands"),
    ],
)
def test_bad_expressions_name_the_position(expr: str, position: int, fragment: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        compile_rule(expr)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert f"position {position}" in str(info.value)


def test_topic_matcher_many_topics_one_scan() -> None:
    topics = [(f"t{i}", f"词{i}号 OR 计划生育", "all") for i in range(2000)]
    topics.append(("no-fp", "NOT 计划生育", "all"))
    matcher = TopicMatcher.from_topics(topics)
    found = matcher.match("", "词7号 和 词1999号")
    assert set(found) == {"t7", "t1999", "no-fp"}
    found = matcher.match("计划生育", "")
    assert len(found) == 2000 and "no-fp" not in found


def test_topic_matcher_with_many_topics_finds_the_right_ones() -> None:
    # speed is bench/nlp.py's business (timed tests fail on a busy machine); this checks the result
    terms = [f"术语{i}" for i in range(5000)]
    topics = [(f"t{i}", " OR ".join(terms[i * 10 : (i + 1) * 10])) for i in range(500)]
    matcher = TopicMatcher.from_topics(topics)
    text = "这是一段关于生育政策的普通微博文本，提到了术语42和术语4999。" * 3
    # substrings count: 术语4 (t0) is in 术语42 (t4), 术语499 (t49) in 术语4999 (t499)
    assert set(matcher.match("标题", text)) == {"t0", "t4", "t49", "t499"}
