"""The office's response categories (seed section 四(五), DESIGN §1).

Each category maps to one response template in ``alerts/templates``. The English
names are the stable identifiers used in config, labels, the database and the
JSONL training files; the Chinese names are what people see.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np


class Category(StrEnum):
    RUMOUR = "rumour"
    DEMAND = "demand"
    UNSOLVABLE = "unsolvable"
    CRITICISM = "criticism"
    MISUNDERSTANDING = "misunderstanding"
    ABUSE = "abuse"
    EMERGENCY = "emergency"
    HOT_ISSUE = "hot_issue"
    OTHER = "other"


CATEGORY_NAMES_ZH: dict[Category, str] = {
    Category.RUMOUR: "谣言、不实信息",
    Category.DEMAND: "正当利益诉求",
    Category.UNSOLVABLE: "暂时无法解决的问题",
    Category.CRITICISM: "意见批评、舆论监督",
    Category.MISUNDERSTANDING: "信息不畅造成的误解",
    Category.ABUSE: "人身攻击、造谣、污蔑、恶搞",
    Category.EMERGENCY: "突发事件",
    Category.HOT_ISSUE: "热点问题",
    Category.OTHER: "其他",
}

SENTIMENTS: tuple[str, ...] = ("neg", "neu", "pos")


# Keyword cues for the rule part of the category model (weak labels until analysts' labels exist).
# Written for this project from the seed's category descriptions; a cue is a plain substring.
CATEGORY_CUES: dict[Category, tuple[str, ...]] = {
    Category.RUMOUR: ("谣言", "辟谣", "不实", "网传", "传言", "据传", "假消息", "假的", "造谣", "谣传", "求证",
                      "紧急扩散"),
    Category.DEMAND: ("求助", "诉求", "补贴没", "没发放", "没到账", "迟迟", "什么时候发", "申请", "办理", "咨询",
                      "希望政府", "请求", "拖欠", "领不到", "怎么办理", "能不能"),
    Category.UNSOLVABLE: ("无法解决", "暂时不能", "历史遗留", "没有办法", "政策不允许", "无能为力", "解决不了"),
    Category.CRITICISM: ("作风", "不作为", "乱作为", "乱收费", "乱罚款", "暴力执法", "曝光", "监督", "投诉",
                         "举报", "腐败", "问责", "粗暴", "刁难", "强制"),
    Category.MISUNDERSTANDING: ("误解", "误读", "旧政策", "已废止", "已经取消", "早就取消", "以为", "搞错",
                                "并非", "澄清", "解读"),
    Category.ABUSE: ("傻逼", "傻b", "sb", "狗官", "去死", "畜生", "垃圾政府", "脑残", "王八蛋", "恶搞", "滚"),
    Category.EMERGENCY: ("突发", "爆炸", "死亡", "身亡", "坠楼", "跳楼", "火灾", "事故", "冲突", "群体性",
                         "围堵", "打人", "受伤", "遇难", "紧急"),
    Category.HOT_ISSUE: ("热议", "刷屏", "热搜", "引发关注", "网友热议", "持续发酵"),
}


CUE_ORDER: tuple[Category, ...] = tuple(Category)


@lru_cache(maxsize=1)
def _cue_automaton() -> Any:
    import ahocorasick

    auto = ahocorasick.Automaton()
    for cat, cues in CATEGORY_CUES.items():
        for cue in cues:
            auto.add_word(cue, (cue, CUE_ORDER.index(cat)))
    auto.make_automaton()
    return auto


def cue_scores(texts: Sequence[str]) -> np.ndarray:
    """Per text, the share of distinct cue hits per category (columns in ``CUE_ORDER``); one scan each."""
    auto = _cue_automaton()
    out = np.zeros((len(texts), len(CUE_ORDER)), dtype=np.float64)
    for i, text in enumerate(texts):
        seen = set()
        for _end, (cue, col) in auto.iter(text.lower()):
            if cue not in seen:
                seen.add(cue)
                out[i, col] += 1.0
    totals = out.sum(axis=1, keepdims=True)
    np.divide(out, totals, out=out, where=totals > 0)
    return out


def rule_category_scores(text: str) -> dict[str, float]:
    """Share of cue hits per category (0 everywhere when no cue matches)."""
    counts = {c.value: sum(1 for cue in cues if cue in text) for c, cues in CATEGORY_CUES.items()}
    total = sum(counts.values())
    return {k: (v / total if total else 0.0) for k, v in counts.items()}


def weak_category(text: str) -> Category:
    """Weak label from the cues: the category with most hits, or OTHER."""
    scores = rule_category_scores(text)
    best = max(scores, key=lambda k: scores[k])
    return Category(best) if scores[best] > 0 else Category.OTHER
