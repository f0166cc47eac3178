"""The Analyzer with the shipped models: one call per batch, all fields, hard negatives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import nlp
from nlp import Analyzer, PostInput
from nlp.categories import SENTIMENTS, Category
from nlp.events import EventClusterer

TOPICS = [
    {"name": "fertility-policy", "expression": "(生育政策 OR 三孩 OR 育儿补贴) AND NOT (拐卖 OR 明星)", "scope": "all"},
    ("rewards", "奖励扶助 OR 特别扶助 OR 扶助金"),
]
T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(TOPICS)


def _post(i: int, text: str, title: str = "", minutes: int = 0) -> PostInput:
    return PostInput(i, title, text, "weibo", f"https://example.org/{i}", T0 + timedelta(minutes=minutes))


def test_fields_and_matches(analyzer: Analyzer) -> None:
    text = "我市发放育儿补贴，三孩家庭每月500元，请及时办理生育登记。"
    [a] = analyzer.analyze([_post(1, text, title="三孩政策来了")])
    assert a.post_id == 1 and a.model_version.count("+") == 3
    assert 0.0 <= a.relevance <= 1.0 and 0.0 <= a.rumour <= 1.0 and 0.0 <= a.negative <= 1.0
    assert a.sentiment in SENTIMENTS
    assert a.category in {c.value for c in Category} and set(a.category_scores) == {c.value for c in Category}
    assert a.is_relevant and a.topics == ["fertility-policy"]
    title_hit = next(m for m in a.matches if m["field"] == "title")
    assert title_hit == {"term": "三孩", "field": "title", "start": 0, "end": 2, "topic": "fertility-policy"}
    assert set(a.explanations) == {"relevance", "rumour", "sentiment", "category"}
    assert a.event_key == "E1" and a.dup_key == "D1"


def test_explanations_name_real_words(analyzer: Analyzer) -> None:
    text = "失独家庭的特别扶助金什么时候能提高？计划生育特殊家庭生活很困难"
    [a] = analyzer.analyze([_post(2, text)])
    terms = [t for t, _w in a.explanations["relevance"]]
    assert terms, "no explanation"
    for term in terms:  # every explained term is a word (or word pair) of the post
        assert all(w in text for w in term.split(" ")), term
    assert a.explanations["relevance"][0][1] > 0  # the strongest push is toward relevant
    assert a.is_relevant


@pytest.mark.parametrize(
    "text",
    [
        "警方破获特大拐卖人口案，解救被拐妇女儿童二十余名",
        "香港上环的老字号茶餐厅今天结业，街坊排长队",
        "某当红女星晒出二胎宝宝照片，粉丝纷纷送上祝福",
        "派出所民警成功解救一名被拐卖的妇女，犯罪嫌疑人已被批准逮捕。",
        "上环附近的写字楼租金下跌，不少公司搬去了九龙。",
        "县人民医院一名男子因车祸送医不治，家属质疑急诊抢救延误，医院表示将配合调查。",
    ],
)
def test_keyword_hits_alone_are_not_relevance(analyzer: Analyzer, text: str) -> None:
    [a] = analyzer.analyze([_post(3, text)])
    assert not a.is_relevant, (text, a.relevance)


@pytest.mark.parametrize(
    "text",
    [  # the office's own business; written for this test, in neither the training examples nor the demo
        "镇卫生院计生服务室一名孕妇做产检时晕倒，因抢救不及时不幸离世，家属围堵卫生院大门",
        "妇幼保健院产科护士将新生儿摔落在地，家属要求院方公开监控，市卫健委介入调查。",
        "区卫健委发布三孩生育奖励申领须知，申请人需在孩子出生一年内提交材料。",
        "县卫健局计生股长被举报违规收取生育登记费用，县纪委已立案审查。",
        "网友吐槽：孩子的育儿补贴申请被退回三次，每次理由都不一样，基层工作人员到底懂不懂政策？",
        "今年我省出生人口比去年减少八万人，人口自然增长率首次为负。",
    ],
)
def test_office_business_is_relevant(analyzer: Analyzer, text: str) -> None:
    [a] = analyzer.analyze([_post(4, text)])
    assert a.is_relevant, (text, a.relevance)


def test_reposts_share_event_and_group(analyzer: Analyzer) -> None:
    base = "网传新规：二胎家庭要交10万社会抚养费，今天起执行，大家快转发告诉身边的人"
    out = analyzer.analyze([
        _post(10, base, minutes=1),
        _post(11, "//@甲: 真的假的 " + base + " http://t.cn/abc", minutes=2),
        _post(12, "今天天气很好，带孩子去公园放风筝，晚上一起吃火锅", minutes=3),
    ])
    assert out[1].dup_key == out[0].dup_key == "D10" and out[1].event_key == out[0].event_key
    assert out[2].event_key == "E12"


def test_batch_equals_one_by_one() -> None:
    posts = [_post(i, t) for i, t in enumerate(["生育登记怎么办", "外卖太慢了，差评", "社会抚养费取消了吗"])]
    together = Analyzer.load(TOPICS).analyze(posts)
    alone = Analyzer.load(TOPICS)
    single = [alone.analyze([p])[0] for p in posts]
    for a, b in zip(together, single, strict=True):
        assert a.relevance == pytest.approx(b.relevance, abs=1e-6)
        assert (a.sentiment, a.category, a.topics) == (b.sentiment, b.category, b.topics)


def test_load_compiles_rules_only_and_convenience_function() -> None:
    analyzer = Analyzer.load(TOPICS * 100)
    assert analyzer._space is None  # models load on first use (cold start: bench/nlp.py)
    assert nlp.analyze([]) == []
    [a] = nlp.analyze([PostInput(5, "", "时间没有时区", "s", "u", datetime(2024, 1, 1))])  # naive: UTC
    assert a.post_id == 5


def test_posts_of_one_forum_thread_share_an_event() -> None:
    opening = "县计生服务中心一名产妇分娩后大出血死亡，家属聚集在门口拉横幅要求说法，警察也来了"
    reply = "听说只有一个医生值班，血库也没有血，卫健委必须给个说法"
    thread = "https://bbs.example/thread/204"
    posts = [PostInput(1, "产妇死亡", opening, "forum", thread, T0, thread=thread),
             PostInput(2, "产妇死亡", reply, "forum", thread + "#2", T0 + timedelta(minutes=5), thread=thread)]
    a, b = Analyzer.load(TOPICS).analyze(posts)
    assert a.event_key == b.event_key == "E1"
    # without the thread (and without story linking) the reply is its own event
    apart = Analyzer.load(TOPICS, events=EventClusterer()).analyze([replace(p, thread=None) for p in posts])
    assert apart[0].event_key != apart[1].event_key


@pytest.mark.parametrize(
    ("text", "is_rumour"),
    [  # family-planning posts (none in the rumour data): the topic's vocabulary alone is no rumour
        ("市卫健委公告：今年的计划生育奖励扶助资金已经拨付到各区，扶助对象可到银行查询到账情况。", False),
        ("县统计局发布人口抽样调查结果，全县出生人口同比减少百分之五，老龄人口比重上升。", False),
        ("妇幼保健院举办孕妇学校公益课堂，讲解分娩知识和新生儿护理，欢迎准爸妈报名。", False),
        ("紧急扩散！听说下个月开始生三胎的要交二十万保证金，村里已经在登记了，赶紧转发！", True),
        ("内部消息：育儿补贴马上要取消了，已经申请的也不发了，大家快转告身边有孩子的家庭！", True),
    ],
)
def test_rumour_in_the_office_field(analyzer: Analyzer, text: str, is_rumour: bool) -> None:
    [a] = analyzer.analyze([_post(6, text)])
    assert (a.rumour >= 0.5) == is_rumour, (text, a.rumour)


def test_explanations_name_content_words_not_stopwords(analyzer: Analyzer) -> None:
    """The demo's posts whose explanations were 县, 的, 事, 现在, 不: every named term is content words."""
    from nlp.content_words import FUNCTION_WORDS

    texts = ["县计生服务中心产妇死亡，现在门口全是人，家属说这事一定要给个说法",
             "育儿补贴申请三个月了还没到账，问谁都说不知道，真的很着急",
             "我们村还在收社会抚养费，这合法吗？不交就不给上户口"]
    analyses = analyzer.analyze([_post(10 + i, t) for i, t in enumerate(texts)])
    named = [term for a in analyses for terms in a.explanations.values() for term, _w in terms]
    assert named, "no explanation at all"
    for term in named:
        for word in term.split(" "):
            assert len(word) >= 2 and word not in FUNCTION_WORDS, term
    assert {"社会抚养费", "育儿补贴"} & set(named)
