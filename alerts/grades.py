"""Alert grades I–IV (DESIGN §1): 特别重大 red, 重大 orange, 较大 yellow, 一般 blue."""

from __future__ import annotations

from enum import StrEnum


class Grade(StrEnum):
    I = "I"  # noqa: E741 - the seed's own name for the grade
    II = "II"
    III = "III"
    IV = "IV"

    @property
    def rank(self) -> int:
        """1 for the most severe grade (I), 4 for the least (IV)."""
        return ("I", "II", "III", "IV").index(self.value) + 1

    @property
    def name_zh(self) -> str:
        return {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}[self.value]

    @property
    def colour(self) -> str:
        return {"I": "red", "II": "orange", "III": "yellow", "IV": "blue"}[self.value]

    @property
    def colour_zh(self) -> str:
        return {"I": "红色", "II": "橙色", "III": "黄色", "IV": "蓝色"}[self.value]

    def more_severe_than(self, other: Grade) -> bool:
        return self.rank < other.rank
