"""Lay a `ReportDocument` out as a Word file in the manner of GB/T 9704 (党政机关公文格式).

As far as fonts allow: A4, margins 37/35/28/26 mm, a red heading with the series name,
issue line, 报送单位 and date over a red rule, a centred title (小标宋 is rarely
installed: 宋体 bold), body in 仿宋 三号 (16 pt) with 2-character indents, first-level
headings in 黑体, page numbers "— 1 —" in the footer. These are the names every Chinese
Windows and WPS install has; LibreOffice substitutes an installed CJK font for them.

All formatting lives in named paragraph styles ("Report Body", "Report Title", …): a
template (``reports.template``, any .docx) that defines a style of that name restyles
every paragraph of that kind, and its page setup is kept. Styles it lacks get the
defaults below. An unapproved report carries a 草稿 watermark (a Word text watermark in
the header, as Word itself writes one) and a 草稿 mark above the heading. Crawled text is
only ever put into runs as text, so nothing in it is interpreted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from alerts.reports.document import DRAFT_MARK, ReportDocument, Section, Table

LATIN_FONT = "Times New Roman"
RED = RGBColor(0xC0, 0x00, 0x00)
NUMERALS = "一二三四五六七八九十"
TEXT_WIDTH = Mm(156)  # A4 less the 28 + 26 mm margins


@dataclass(frozen=True)
class Look:
    """A named paragraph style's defaults (used when the template has no style of that name)."""

    font: str
    size: float
    bold: bool = False
    red: bool = False
    align: WD_ALIGN_PARAGRAPH | None = None
    indent: bool = False
    space_after: float = 0


LOOKS = {
    "Report Mark": Look("黑体", 12, red=True, align=WD_ALIGN_PARAGRAPH.RIGHT),
    "Report Series": Look("宋体", 36, bold=True, red=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6),
    "Report Issue": Look("仿宋", 16, align=WD_ALIGN_PARAGRAPH.CENTER),
    "Report Sender": Look("仿宋", 14),
    "Report Title": Look("宋体", 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12),
    "Report Section": Look("黑体", 16, indent=True),
    "Report Body": Look("仿宋", 16, indent=True),
    "Report Caption": Look("仿宋", 12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6),
    "Report Table": Look("仿宋", 10.5),
    "Report Table Head": Look("黑体", 10.5, align=WD_ALIGN_PARAGRAPH.CENTER),
    "Report Approval": Look("仿宋", 16, align=WD_ALIGN_PARAGRAPH.RIGHT),
    "Report Draft": Look("仿宋", 16, red=True, align=WD_ALIGN_PARAGRAPH.RIGHT),
    "Report Page Number": Look("宋体", 14, align=WD_ALIGN_PARAGRAPH.CENTER),
}


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (section numbers; reports have fewer than 20 sections)."""
    if n <= 10:
        return NUMERALS[n - 1]
    return "十" + NUMERALS[n - 11]


def _add_style(doc: DocxDocument, name: str, look: Look) -> None:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = doc.styles["Normal"]
    font = style.font
    font.name, font.size, font.bold = LATIN_FONT, Pt(look.size), look.bold
    if look.red:
        font.color.rgb = RED
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), look.font)
    fmt = style.paragraph_format
    if look.align is not None:
        fmt.alignment = look.align
    fmt.space_before, fmt.space_after = Pt(0), Pt(look.space_after)
    fmt.line_spacing = Pt(max(28, look.size * 1.4))  # body: 22 lines a page, near the standard's 28.95 pt grid
    if look.indent:
        fmt.first_line_indent = Pt(look.size * 2)


def _styles(doc: DocxDocument) -> None:
    existing = {s.name for s in doc.styles}
    for name, look in LOOKS.items():
        if name not in existing:
            _add_style(doc, name, look)


def _paragraph(doc: DocxDocument, text: str, style: str) -> Paragraph:
    return doc.add_paragraph(text, style=style)


def _red_rule(p: Paragraph) -> None:
    ppr = p._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="18" w:space="4" '
                         f'w:color="C00000"/></w:pBdr>'))


def _field(run: Run, instruction: str) -> None:
    """A Word field (PAGE) in ``run``: begin, instruction, separate, a placeholder, end."""
    begin, separate, end = (OxmlElement("w:fldChar") for _ in range(3))
    for el, kind in ((begin, "begin"), (separate, "separate"), (end, "end")):
        el.set(qn("w:fldCharType"), kind)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    placeholder = OxmlElement("w:t")
    placeholder.text = "1"
    for el in (begin, instr, separate, placeholder, end):
        run._r.append(el)


def _page_numbers(doc: DocxDocument) -> None:
    footer = doc.sections[0].footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.style = doc.styles["Report Page Number"]
    p.add_run("— ")
    _field(p.add_run(), "PAGE")
    p.add_run(" —")


WATERMARK_XML = (
    '<w:p {ns}><w:r><w:pict>'
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
    '<v:textpath on="t" fitshape="t"/></v:shapetype>'
    '<v:shape id="PowerPlusWaterMarkObject" o:spid="_x0000_s2049" type="#_x0000_t136" '
    'style="position:absolute;margin-left:0;margin-top:0;width:380pt;height:190pt;rotation:315;'
    'z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
    'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
    'fillcolor="#d8d8d8" stroked="f"><v:fill opacity=".5"/>'
    '<v:textpath style="font-family:&quot;{font}&quot;;font-size:1pt" string="{text}"/></v:shape>'
    '</w:pict></w:r></w:p>'
)


def _watermark(doc: DocxDocument, text: str) -> None:
    ns = (nsdecls("w") + ' xmlns:v="urn:schemas-microsoft-com:vml"'
          ' xmlns:o="urn:schemas-microsoft-com:office:office"')
    doc.sections[0].header._element.append(parse_xml(WATERMARK_XML.format(ns=ns, font="黑体", text=text)))


def _page_setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")


def _heading_block(doc: DocxDocument, report: ReportDocument) -> None:
    if report.draft:
        _paragraph(doc, f"【{DRAFT_MARK}·未经审批，不得报送】", "Report Mark")
    _paragraph(doc, report.series_name, "Report Series")
    _paragraph(doc, report.issue_line, "Report Issue")
    line = _paragraph(doc, f"报送单位：{report.unit}\t{report.date_text}", "Report Sender")
    line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, alignment=2)  # the date flush right
    _red_rule(line)
    _paragraph(doc, "", "Report Caption")
    _paragraph(doc, report.title, "Report Title")


def _table(doc: DocxDocument, table: Table) -> None:
    t = doc.add_table(rows=1, cols=len(table.header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(t.rows[0].cells, table.header, strict=True):
        cell.paragraphs[0].style = doc.styles["Report Table Head"]
        cell.paragraphs[0].add_run(text)
    for row in table.rows:
        for cell, text in zip(t.add_row().cells, row, strict=True):
            cell.paragraphs[0].style = doc.styles["Report Table"]
            cell.paragraphs[0].add_run(text)
    doc.add_paragraph()


def _section(doc: DocxDocument, number: int, section: Section) -> None:
    _paragraph(doc, f"{chinese_numeral(number)}、{section.heading}", "Report Section")
    for text in section.paragraphs:
        _paragraph(doc, text, "Report Body")
    for chart in section.charts:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run().add_picture(io.BytesIO(chart.png), width=Cm(14.5))
        _paragraph(doc, chart.caption, "Report Caption")
    for table in section.tables:
        _table(doc, table)


def _approval(doc: DocxDocument, report: ReportDocument) -> None:
    _paragraph(doc, "", "Report Body")
    if report.approval is None:
        _paragraph(doc, f"（{DRAFT_MARK}，第{report.version}版，未经审批）", "Report Draft")
        return
    a = report.approval
    reviewed = f"审核：{a.reviewer}　" if a.reviewer else ""
    _paragraph(doc, f"{reviewed}签发：{a.approver}（{a.approved_at}，第{report.version}版）", "Report Approval")


def render_docx(report: ReportDocument, *, template: Path | None = None) -> bytes:
    """The report as .docx bytes. ``template`` (a .docx) supplies page setup and styles the office restyled."""
    doc = Document(str(template)) if template is not None else Document()
    body = doc.element.body
    for child in list(body):  # a template's own text is not part of the report; its styles are
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    if template is None:
        _page_setup(doc)
    _styles(doc)
    if report.draft:
        _watermark(doc, DRAFT_MARK)
    _heading_block(doc, report)
    for number, section in enumerate(report.sections, start=1):
        _section(doc, number, section)
    _approval(doc, report)
    _page_numbers(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
