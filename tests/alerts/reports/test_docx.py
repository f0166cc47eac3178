"""The Word layout on its own (pure): sections, numbering, issue lines, marks, a restyling template."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.shared import Mm, Pt

from alerts.reports.document import Approval, ReportDocument, Section, Table
from alerts.reports.docx import chinese_numeral, render_docx
from tests.reports_support import read_docx


def _report(**kw) -> ReportDocument:  # type: ignore[no-untyped-def]
    sections = [Section("basic", "基本情况", "第一段。\n\n第二段 <w:t>not xml</w:t>",
                        tables=[Table(["信息源", "条数"], [["贴吧", "3"]])]),
                Section("next", "下一步工作", "继续监测。")]
    values = {"series": "special", "issue_no": 7, "year": 2026, "unit": "新闻办", "date_text": "2026年3月5日",
              "title": "关于某事的舆情报告", "sections": sections, "followup_no": 2}
    values.update(kw)
    return ReportDocument(**values)  # type: ignore[arg-type]


def test_numerals_and_issue_lines():
    assert [chinese_numeral(n) for n in (1, 4, 10, 12)] == ["一", "四", "十", "十二"]
    assert _report().issue_line == "2026年第7期（续报2）"
    assert _report(followup_no=0).issue_line == "2026年第7期（初报）"
    assert _report(series="weekly", followup_no=None).issue_line == "2026年第7期"


def test_sections_text_and_tables_in_order():
    doc = read_docx(render_docx(_report()))
    body = [p for p in doc.paragraphs if p]
    start = body.index("一、基本情况")
    assert body[start:start + 3] == ["一、基本情况", "第一段。", "第二段 <w:t>not xml</w:t>"]
    assert "二、下一步工作" in body and doc.tables == [[["信息源", "条数"], ["贴吧", "3"]]]
    assert "草稿" in doc.header_xml and "（草稿，第1版，未经审批）" in body


def test_approved_report_has_the_approval_line_and_no_draft_mark():
    approved = _report(approval=Approval(reviewer="赵磊", approver="李建国", approved_at="2026年3月5日 10:30"),
                       version=3)
    doc = read_docx(render_docx(approved))
    assert doc.paragraphs[-1] == "审核：赵磊　签发：李建国（2026年3月5日 10:30，第3版）"
    assert "草稿" not in doc.text and "草稿" not in doc.header_xml


def test_a_template_restyles_the_report(tmp_path: Path):
    template = Document()
    template.sections[0].left_margin = Mm(30)
    style = template.styles.add_style("Report Body", 1)
    style.font.size = Pt(14)
    template.add_paragraph("这段模板里的示例文字不进入报告")
    path = tmp_path / "office.docx"
    template.save(str(path))
    out = Document(io.BytesIO(render_docx(_report(), template=path)))
    assert round(out.sections[0].left_margin.mm) == 30  # the template's page setup is kept
    [para] = [p for p in out.paragraphs if p.text == "第一段。"]
    assert para.style.name == "Report Body" and para.style.font.size == Pt(14)
    assert all("示例文字" not in p.text for p in out.paragraphs)
    titles = [p for p in out.paragraphs if p.text == "关于某事的舆情报告"]
    assert titles[0].style.name == "Report Title" and titles[0].style.font.size == Pt(22)  # defaults fill gaps
