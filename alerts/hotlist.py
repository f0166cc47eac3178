"""A relevant entry on a hot list is an alert signal of its own (pure: plain data in, a grade out).

The entry's source sets the least grade it raises (``alert_grade``, default II: the one-hour
deadline); the event's own grade stands when it is more severe. The reason the monitor reads
names the list, the rank and the time on the list: "上榜 微博热搜 第3位, 在榜40分钟".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alerts.grades import Grade
from alerts.grading import GradeResult


def with_hotlist_floor(graded: GradeResult, floors: Iterable[Grade], reasons: Sequence[str]) -> GradeResult:
    """``graded`` raised to the most severe of ``floors``, the hot-list reasons first."""
    floor = min(floors, key=lambda g: g.rank)
    grade = floor if floor.more_severe_than(graded.grade) else graded.grade
    extra = [] if grade == graded.grade else [f"热搜上榜：至少 {floor.value}级（{floor.name_zh}）"]
    return GradeResult(grade=grade, score=graded.score, reasons=[*reasons, *graded.reasons, *extra])
