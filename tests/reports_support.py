"""Reading generated Word reports back with python-docx, for the report tests."""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document


@dataclass
class ReadBack:
    paragraphs: list[str]
    tables: list[list[list[str]]]
    images: int
    header_xml: str
    footer_xml: str

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def table_with(self, heading: str) -> list[list[str]]:
        for table in self.tables:
            if table and table[0] and table[0][0] == heading:
                return table
        raise AssertionError(f"no table starting with {heading!r}: {[t[0] for t in self.tables]}")


def read_docx(data: bytes) -> ReadBack:
    """Open the file as Word would (python-docx) and pull out text, tables, pictures, header and footer."""
    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    images = sum(1 for rel in doc.part.rels.values() if rel.reltype.endswith("/image"))
    return ReadBack(paragraphs=[p.text for p in doc.paragraphs],
                    tables=[[[c.text for c in row.cells] for row in t.rows] for t in doc.tables],
                    images=images, header_xml=section.header._element.xml, footer_xml=section.footer._element.xml)
