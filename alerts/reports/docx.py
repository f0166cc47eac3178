"""Lay a `ReportDocument` out as a Word file in the manner of GB/T 9704 (党政机关公文格式).

As far as fonts allow: A4, margins 37/35/28/26 mm, a red heading with the series name,
issue line, 报送单位 and date over a red rule, a centred title (小标宋 is rarely
installed: 宋体 bold), body in 仿宋 三号 (16 pt) with 2-character indents, first-level
headings in 黑体, page numbers "— 1 —" in the footer. These are the names every Chinese
Windows and WPS install has; LibreOffice substitutes any installed CJK font for them.
An unapproved report carries a 草稿 watermark (a Word text watermark in the header, as
Word itself writes one) and a 草稿 mark above the heading. Crawled text is only ever put
into runs as text, so nothing in it is interpreted.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from alerts.reports.document import DRAFT_MARK, ReportDocument, Section, Table

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_PT = 16      # 三号
TITLE_PT = 22     # 二号
TABLE_PT = 10.5   # 五号
RED = RGBColor(0xC0, 0x00, 0x00)
NUMERALS = "一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (section numbers; reports have fewer than 20 sections)."""
    if n <= 10:
        return NUMERALS[n - 1]
    return "十" + NUMERALS[n - 11]


def _font(run: Run, name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _paragraph(doc: DocxDocument, text: str, *, font: str = BODY_FONT, size: float = BODY_PT, bold: bool = False,
               align: WD_ALIGN_PARAGRAPH | None = None, indent: bool = False, colour: RGBColor | None = None,
               space_after: float = 0) -> Paragraph:
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(space_after)
    fmt.line_spacing = Pt(max(28, size * 1.4))  # body: 22 lines a page, near the standard's 28.95 pt grid
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    _font(p.add_run(text), font, size, bold=bold, colour=colour)
    return p


def _red_rule(p: Paragraph) -> None:
    ppr = p._p.get_or_add_pPr()
    borders = parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="18" w:space="4" '
                        f'w:color="C00000"/></w:pBdr>')
    ppr.append(borders)


def _field(run: Run, instruction: str) -> None:
    """A Word field (PAGE) in ``run``: begin, instruction, separate, placeholder, end."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


def _page_numbers(doc: DocxDocument) -> None:
    footer = doc.sections[0].footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), TITLE_FONT, 14)
    page = p.add_run()
    _font(page, TITLE_FONT, 14)
    _field(page, "PAGE")
    _font(p.add_run(" —"), TITLE_FONT, 14)


WATERMARK_XML = (
    '<w:p {ns}><w:pPr><w:pStyle w:val="Header"/></w:pPr><w:r><w:pict>'
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
    header = doc.sections[0].header
    ns = (nsdecls("w") + ' xmlns:v="urn:schemas-microsoft-com:vml"'
          ' xmlns:o="urn:schemas-microsoft-com:office:office"')
    header._element.append(parse_xml(WATERMARK_XML.format(ns=ns, font=HEADING_FONT, text=text)))


def _page_setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)


def _heading_block(doc: DocxDocument, report: ReportDocument) -> None:
    if report.draft:
        _paragraph(doc, f"【{DRAFT_MARK}·未经审批，不得报送】", font=HEADING_FONT, size=12, colour=RED,
                   align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, report.series_name, font=TITLE_FONT, size=36, bold=True, colour=RED,
               align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    _paragraph(doc, report.issue_line, align=WD_ALIGN_PARAGRAPH.CENTER)
    line = _paragraph(doc, f"报送单位：{report.unit}", size=14)
    line.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)  # right-aligned at the text's edge
    _font(line.add_run(f"\t{report.date_text}"), BODY_FONT, 14)
    _red_rule(line)
    _paragraph(doc, "", size=12)
    _paragraph(doc, report.title, font=TITLE_FONT, size=TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
               space_after=12)


def _table(doc: DocxDocument, table: Table) -> None:
    t = doc.add_table(rows=1, cols=len(table.header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(t.rows[0].cells, table.header, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(text), HEADING_FONT, TABLE_PT)
    for row in table.rows:
        cells = t.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, TABLE_PT)
    doc.add_paragraph()


def _section(doc: DocxDocument, number: int, section: Section) -> None:
    _paragraph(doc, f"{chinese_numeral(number)}、{section.heading}", font=HEADING_FONT, indent=True)
    for text in section.paragraphs:
        _paragraph(doc, text, indent=True)
    for chart in section.charts:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run().add_picture(io.BytesIO(chart.png), width=Cm(14.5))
        _paragraph(doc, chart.caption, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    for table in section.tables:
        _table(doc, table)


def _approval(doc: DocxDocument, report: ReportDocument) -> None:
    _paragraph(doc, "")
    if report.approval is None:
        _paragraph(doc, f"（{DRAFT_MARK}，第{report.version}版，未经审批）", colour=RED,
                   align=WD_ALIGN_PARAGRAPH.RIGHT)
        return
    a = report.approval
    reviewed = f"审核：{a.reviewer}　" if a.reviewer else ""
    _paragraph(doc, f"{reviewed}签发：{a.approver}（{a.approved_at}，第{report.version}版）",
               align=WD_ALIGN_PARAGRAPH.RIGHT)


def render_docx(report: ReportDocument, *, template: Path | None = None) -> bytes:
    """The report as .docx bytes. ``template`` (a .docx) supplies styles the office restyled."""
    doc = Document(str(template)) if template is not None else Document()
    body = doc.element.body
    for child in list(body):  # a template's own text is not part of the report; its styles are
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    _page_setup(doc)
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
