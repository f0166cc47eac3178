from __future__ import annotations

from nlp.tokenize import Tokens, analyzer, normalize, normalize_for_match, stopwords, tokenize


def test_weibo_noise_is_removed() -> None:
    text = "转发 //@小明: 太好了！#三孩政策# 详情 http://t.cn/A6abcd 和 https://weibo.com/x?y=1 @卫健委发布 看看"
    norm = normalize(text)
    assert "t.cn" not in norm and "http" not in norm
    assert "@" not in norm and "小明" not in norm and "卫健委发布" not in norm
    assert "#" not in norm and "三孩政策" in norm


def test_fullwidth_traditional_and_case() -> None:
    assert normalize("ＡＢＣ１２３，計劃生育") == "abc123,计划生育"
    # the match normaliser keeps offsets
    raw = "【計劃生育】ＡＢＣ"
    assert len(normalize_for_match(raw)) == len(raw)


def test_domain_words_stay_whole() -> None:
    words = tokenize("失独家庭特别扶助金和社会抚养费，奖励扶助、少生快富，出生性别比，三孩，卫健委").words
    for term in ("失独家庭", "社会抚养费", "奖励扶助", "少生快富", "出生性别比", "三孩", "卫健委"):
        assert term in words, term


def test_sheung_wan_is_not_the_iud_word() -> None:
    assert "上环站" in tokenize("今天在上环站下车").words


def test_punctuation_dropped_emoji_kept_negation_kept() -> None:
    toks = tokenize("不好！！！😭😭 没有补贴。。。")
    assert "！" not in toks.words and "。" not in toks.words
    assert "😭" in "".join(toks.words)
    assert "不" in toks.words or "不好" in toks.words
    assert "没有" not in stopwords() and "不" not in stopwords()


def test_content_drops_stopwords() -> None:
    toks = tokenize("我们的育儿补贴是什么时候发")
    assert isinstance(toks, Tokens)
    assert "的" in toks.words and "的" not in toks.content
    assert "育儿补贴" in toks.content


def test_analyzer_is_module_level_and_picklable() -> None:
    import pickle

    assert pickle.loads(pickle.dumps(analyzer)) is analyzer
    assert analyzer("计划生育 http://t.cn/x") == ["计划生育"]


def test_empty_text() -> None:
    assert tokenize("").words == ()
    assert tokenize("   http://t.cn/abc  ").words == ()
