"""Story-level events: one story told in other words is one event; stories that share a theme stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from nlp.analyze import Analyzer, PostInput
from nlp.events import EventClusterer
from nlp.stories import MAX_TERMS, StoryIndex, story_terms, unpack_terms
from nlp.tokenize import tokenize

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _events(items: list[tuple[str, str]], *, stories: bool = True, gap: timedelta = timedelta(minutes=20)
            ) -> list[str]:
    posts = [PostInput(i + 1, title, body, "news", f"https://n.example/{i}", T0 + i * gap)
             for i, (title, body) in enumerate(items)]
    analyzer = Analyzer.load([], events=EventClusterer(stories=StoryIndex() if stories else None))
    return [r.event_key or "" for r in analyzer.analyze(posts)]


PARAPHRASES = [
    ("网传二胎罚款十万？", "群里都在传，下个月起生二胎要交十万元罚款，不交不给孩子上户口，超生费又回来了。"),
    ("社会抚养费要恢复了", "听说社会抚养费要恢复征收，二孩家庭每户10万，计生办已经下发通知，大家赶紧转发。"),
    ("生二孩要交10万超生费？", "朋友圈疯传新规：生二孩要交10万超生费（社会抚养费），不交就不给上户口，是真的吗？"),
]


def test_three_paraphrases_of_one_rumour_are_one_event() -> None:
    events = _events(PARAPHRASES)
    assert len(set(events)) == 1
    assert len(set(_events(PARAPHRASES, stories=False))) == 3  # MinHash copies alone kept them apart


def test_news_article_and_forum_thread_on_one_incident_are_one_event() -> None:
    news = ("县妇幼保健计划生育服务中心一产妇分娩后死亡 家属聚集要求说法",
            "今天上午，县妇幼保健计划生育服务中心一名产妇在分娩后突发大出血，经抢救无效死亡。家属质疑服务中心"
            "延误抢救，目前有数十名家属聚集在服务中心门口，现场有人拉起横幅，派出所民警已到场维持秩序。")
    forum = ("县计生服务中心产妇死亡，现在门口全是人",
             "县妇幼保健计划生育服务中心今天上午一名产妇分娩后死亡，家属说是抢救延误，现在服务中心门口聚集了"
             "好多人，拉着横幅，警察也来了。县卫健委到现在都没有人出来说明情况！")
    assert len(set(_events([news, forum]))) == 1


def test_same_theme_different_stories_stay_apart() -> None:
    celebrities = [("张小雨官宣怀二胎", "演员张小雨今日在微博晒出孕照，官宣怀上二胎，丈夫李明陪伴在旁。"),
                   ("王晓晓怀二胎", "歌手王晓晓在综艺节目中透露自己已怀二胎四个月，预产期在明年春天。")]
    assert len(set(_events(celebrities))) == 2
    provinces = [("广东发布育儿补贴实施方案", "广东省卫健委发布育儿补贴实施方案，三周岁以下婴幼儿每年补贴3600元。"),
                 ("浙江发布育儿补贴实施方案", "浙江省卫健委发布育儿补贴实施方案，三周岁以下婴幼儿每年补贴3600元。")]
    assert len(set(_events(provinces))) == 2
    checkup = ("某地开展免费孕检活动", "市妇幼保健院本周开展免费孕前优生健康检查，请符合条件的夫妇预约。")
    unrelated = [PARAPHRASES[0], checkup]
    assert len(set(_events(unrelated))) == 2


def test_stories_end_with_their_window() -> None:
    days = timedelta(days=4)  # beyond the three-day story window
    assert len(set(_events(PARAPHRASES[:2], gap=days))) == 2


def test_story_terms_pack_hashes_and_weights_for_storage() -> None:
    words = tokenize("网传二胎罚款十万，超生费又回来了，计生办下发通知").content
    packed = story_terms(words, words[:2])
    terms, weights = unpack_terms(packed)
    assert packed.dtype == np.dtype("<u4") and len(terms) == len(weights) <= MAX_TERMS
    assert np.all(weights > 0) and np.all(np.diff(weights) <= 0)  # heaviest first
    assert len(story_terms([])) == 0


def test_story_index_stays_bounded() -> None:
    index = StoryIndex(max_stories=100)
    for i in range(1000):
        words = [f"词{i}", f"词{i + 1}", f"地名{i % 7}", "通知"]
        index.add(f"E{i}", story_terms(words), T0 + timedelta(minutes=i))
    assert len(index) <= 125
    live = {k for keys in index.postings.values() for k in keys}
    assert live <= set(index.stories)


def test_replay_from_packed_terms_gives_the_same_events() -> None:
    """Other workers apply stored posts (signature + story terms) and reach the same events."""
    posts = [PostInput(i + 1, t, b, "news", f"u{i}", T0 + timedelta(minutes=10 * i))
             for i, (t, b) in enumerate([*PARAPHRASES, PARAPHRASES[0]])]
    first = Analyzer.load([], events=EventClusterer(stories=StoryIndex()))
    results = first.analyze(posts)
    replayed = EventClusterer(stories=StoryIndex())
    sigs = np.stack([r.signature for r in results if r.signature is not None])
    got = replayed.add_batch([p.id for p in posts], sigs, [r.word_count for r in results],
                             [p.published_at for p in posts if p.published_at], None,
                             [r.story_terms for r in results])
    assert [a.event_key for a in got] == [r.event_key for r in results]
