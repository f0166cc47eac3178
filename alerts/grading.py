"""Grade an event I–IV from what is known about it, with the reasons (DESIGN §1).

The grade is a points score: the category weighs most (emergencies, then rumours),
then heat, growth, spread across distinct sources and the negative share. Each
contribution is kept as a reason in Chinese, so the monitor sees why an alert is red.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from alerts.grades import Grade
from nlp.categories import CATEGORY_NAMES_ZH, Category

CATEGORY_POINTS: dict[str, int] = {
    Category.EMERGENCY: 45,
    Category.RUMOUR: 30,
    Category.CRITICISM: 20,
    Category.ABUSE: 15,
    Category.HOT_ISSUE: 15,
    Category.DEMAND: 10,
    Category.MISUNDERSTANDING: 10,
    Category.UNSOLVABLE: 10,
    Category.OTHER: 0,
}
# (threshold, points): the first threshold the value reaches gives the points.
HEAT_STEPS = ((150.0, 25), (50.0, 15), (15.0, 8))
SOURCE_STEPS = ((5, 15), (3, 8), (2, 4))
NEGATIVE_STEPS = ((0.7, 10), (0.5, 5))
GROWTH_MIN_RECENT = 5
# Score needed for each grade, most severe first; below the last one the grade is IV.
GRADE_THRESHOLDS = ((Grade.I, 75), (Grade.II, 55), (Grade.III, 35))


@dataclass(frozen=True)
class EventFacts:
    """What alert rules and grading look at: one event and its analysed posts, as plain data."""

    event_id: int
    category: str
    topics: frozenset[str] = frozenset()
    relevance: float = 0.0          # the best relevance among the event's posts
    rumour: float = 0.0             # the event's rumour score (max over posts)
    negative_share: float = 0.0
    heat: float = 0.0
    post_count: int = 0
    source_count: int = 0
    burst: bool = False
    recent_posts: int = 0           # posts in the last hour
    previous_posts: int = 0         # posts in the hour before that

    @property
    def growth(self) -> float:
        """How much faster the event grew in the last hour than in the hour before."""
        return (self.recent_posts + 1) / (self.previous_posts + 1)


@dataclass(frozen=True)
class GradeResult:
    grade: Grade
    score: int
    reasons: list[str] = field(default_factory=list)


def _step(value: float, steps: Iterable[tuple[float, int]]) -> tuple[float, int] | None:
    for threshold, points in steps:
        if value >= threshold:
            return threshold, points
    return None


def _category_zh(category: str) -> str:
    try:
        return CATEGORY_NAMES_ZH[Category(category)]
    except ValueError:
        return category


def grade_event(facts: EventFacts) -> GradeResult:
    """The grade of an event and the reasons for it."""
    score = 0
    reasons: list[str] = []
    points = CATEGORY_POINTS.get(facts.category, 0)
    if points:
        score += points
        reasons.append(f"类别为“{_category_zh(facts.category)}”（+{points}）")
    if hit := _step(facts.heat, HEAT_STEPS):
        score += hit[1]
        reasons.append(f"热度 {facts.heat:.1f} ≥ {hit[0]:g}（+{hit[1]}）")
    if facts.recent_posts >= GROWTH_MIN_RECENT and facts.growth >= 3:
        score += 15
        reasons.append(f"最近一小时新增 {facts.recent_posts} 条，增速为前一小时的 {facts.growth:.1f} 倍（+15）")
    elif facts.burst:
        score += 10
        reasons.append("讨论量突增（+10）")
    elif facts.recent_posts >= GROWTH_MIN_RECENT and facts.growth >= 2:
        score += 8
        reasons.append(f"最近一小时新增 {facts.recent_posts} 条，增速翻倍（+8）")
    if hit := _step(facts.source_count, SOURCE_STEPS):
        score += hit[1]
        reasons.append(f"{facts.source_count} 个不同来源（+{hit[1]}）")
    if hit := _step(facts.negative_share, NEGATIVE_STEPS):
        score += hit[1]
        reasons.append(f"负面占比 {facts.negative_share:.0%}（+{hit[1]}）")
    grade = Grade.IV
    for candidate, needed in GRADE_THRESHOLDS:
        if score >= needed:
            grade = candidate
            break
    reasons.append(f"合计 {score} 分 → {grade.value}级（{grade.name_zh}）")
    return GradeResult(grade=grade, score=score, reasons=reasons)
