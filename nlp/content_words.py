"""Which terms an explanation may name: content words, not the grammar around them.

The feature space already leaves character n-grams, stopwords and bare numbers out of explanations
(`nlp.models.space.explainable_mask`), but a single character (县, 事, 不, 一) or a function word
(现在, 只有, 真的) still carries weight in the models and so was named as "the reason". People read
explanations to check a verdict: they should see 社会抚养费, 死亡, 辟谣. A term qualifies when every
word in it has two or more characters and is neither a stopword, a number nor a function word.
The models still use every feature; this only chooses what is shown.
"""

from __future__ import annotations

from functools import lru_cache

from nlp.tokenize import stopwords

# Common words of two or more characters that carry no topic: adverbs, pronouns, auxiliaries,
# measure phrases, conjunctions (written for this project; not a stopword list for the models).
_FUNCTION_WORDS = """
现在 目前 当时 刚才 已经 曾经 正在 马上 立刻 一直 还是 还有 只有 只是 就是 不是 都是 也是 真的 确实 其实 当然
可能 可以 应该 需要 能够 不能 不会 没有 不要 不用 知道 觉得 认为 表示 称 据说 听说 这个 那个 这些 那些 这样
那样 这里 那里 哪里 什么 怎么 怎样 为什么 多少 一些 一下 一个 一名 一位 一次 一种 一起 一样 一定 一般 几个 三个
两个 很多 许多 非常 特别 比较 更加 然后 而且 并且 但是 可是 因为 所以 如果 虽然 或者 以及 还要 我们 你们 他们
她们 大家 自己 别人 有人 有些 各位 时候 今天 昨天 明天 今年 去年 每天 每年 之前 之后 以后 以前 其中 之一
"""
FUNCTION_WORDS: frozenset[str] = frozenset(_FUNCTION_WORDS.split())


@lru_cache(maxsize=200_000)
def is_content_term(term: str) -> bool:
    """True for a word or word bigram (words joined by a space) made only of content words."""
    stop = stopwords()
    words = term.split(" ")
    return all(len(w) >= 2 and w not in stop and w not in FUNCTION_WORDS and not w.isdigit() for w in words)
