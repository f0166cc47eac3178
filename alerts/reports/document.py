"""What a written report consists of, as plain data: the layout code (`alerts.reports.docx`)
turns a `ReportDocument` into a Word file, the content code (`alerts.reports.content`)
builds one from a report's facts and its edited section texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SERIES_NAMES = {"special": "舆情专报", "weekly": "舆情周报", "monthly": "舆情月报"}
DRAFT_MARK = "草稿"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str


@dataclass(frozen=True)
class Section:
    """One numbered section (一、基本情况 …): its editable text, then its tables and charts."""

    key: str
    heading: str
    text: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.text.replace("\r\n", "\n").split("\n") if line.strip()]


@dataclass(frozen=True)
class Approval:
    reviewer: str | None
    approver: str
    approved_at: str  # local time, written out (2026年3月5日 10:20)


@dataclass(frozen=True)
class ReportDocument:
    series: str            # special | weekly | monthly
    issue_no: int
    year: int
    unit: str              # 报送单位
    date_text: str         # 2026年3月5日
    title: str
    sections: list[Section]
    followup_no: int | None = None  # None: a periodic report; 0: 初报; n: 续报n
    approval: Approval | None = None
    version: int = 1

    @property
    def series_name(self) -> str:
        return SERIES_NAMES.get(self.series, self.series)

    @property
    def draft(self) -> bool:
        """Unapproved reports are exported with a visible 草稿 watermark."""
        return self.approval is None

    @property
    def issue_line(self) -> str:
        if self.followup_no is None:
            return f"{self.year}年第{self.issue_no}期"
        stage = "初报" if self.followup_no == 0 else f"续报{self.followup_no}"
        return f"{self.year}年第{self.issue_no}期（{stage}）"
