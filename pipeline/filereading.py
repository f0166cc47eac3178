"""Stream records out of JSONL and CSV files of any common Chinese encoding.

Files are read as bytes, line by line, and each line is decoded on its own: memory stays
flat however large the file, a line that does not decode becomes one bad record instead of
stopping the file, and every record knows the byte offset where it ends, so an import can
resume after the last committed record. The encoding is detected once per file from a
sample (UTF-8 first, then charset-normalizer among GB18030 and Big5); GBK and GB2312 are read as GB18030, their
superset, so a rare character does not break a line.
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple

from charset_normalizer import from_bytes

from pipeline.exceptions import YuqingError
from pipeline.postfields import normalise_header, restore_cell

log = logging.getLogger(__name__)

FileFormat = Literal["jsonl", "csv"]
SAMPLE_BYTES = 256 * 1024
CSV_FIELD_LIMIT = 16 * 1024 * 1024
UTF8_GOOD_PER_BROKEN = 2  # GBK read as UTF-8 gives ~0.1 good characters per broken one
# Besides UTF-8, the encodings Chinese files come in; guessing among all code pages on a short
# sample picks Greek or Cyrillic ones for GBK bytes.
CANDIDATES = ["gb18030", "big5"]
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "hz": "gb18030", "ascii": "utf-8"}
_KEY_SETS = 256  # distinct JSON key sets remembered per file (a file has a handful)
_EXTENSIONS: dict[str, FileFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
                                      ".tsv": "csv"}


class ImportFileError(YuqingError):
    """A whole file cannot be read (unknown format or encoding, no text column)."""


# Position and Record are NamedTuples, not frozen dataclasses: one of each per record, and a
# frozen dataclass's __init__ costs several times a tuple's.
class Position(NamedTuple):
    """Where to resume: the byte offset after the last record read, and its last line number."""

    offset: int = 0
    line: int = 0


class Record(NamedTuple):
    """One record of a file: its fields, or the reason it could not be read."""

    line: int
    end: Position
    fields: dict[str, Any] | None = None
    error: str | None = None


def format_of(path: Path, declared: str | None = None) -> FileFormat:
    if declared in ("jsonl", "csv"):
        return declared  # type: ignore[return-value]
    if declared:
        raise ImportFileError(f"unknown import format {declared!r}; use jsonl or csv")
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ImportFileError(f"{path.name}: cannot tell the format from the name; give --format jsonl or csv")
    return found


def _python_name(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return _SUPERSETS.get(name, name)


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The file's text encoding: ``declared`` unless ``auto``, else detected from a sample."""
    if declared != "auto":
        try:
            return _python_name(declared)
        except LookupError:
            raise ImportFileError(f"unknown encoding {declared!r}") from None
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(f"{path.name} is UTF-16 text; save it as UTF-8 (or GBK) and import again")
    whole = len(sample) < SAMPLE_BYTES
    if _mostly_utf8(sample, whole):
        return "utf-8"
    cut = sample if whole else sample[: sample.rfind(b"\n") + 1] or sample
    best = from_bytes(cut, cp_isolation=CANDIDATES).best()
    if best is None:  # e.g. ASCII with a few stray bytes: read as UTF-8, the broken lines become bad rows
        log.warning("encoding not recognised; reading as utf-8", extra={"file": str(path)})
        return "utf-8"
    encoding = _python_name(best.encoding)
    log.info("detected encoding", extra={"file": str(path), "encoding": encoding})
    return encoding


def _mostly_utf8(sample: bytes, whole: bool) -> bool:
    """UTF-8, perhaps with a few broken bytes (those lines become bad records, not the file).

    Text in another encoding read as UTF-8 breaks at nearly every non-ASCII byte; UTF-8 text
    with a damaged line has many good multi-byte characters for each broken one.
    """
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(sample, final=whole)
    broken = text.count("\ufffd")
    if broken == 0:
        return True
    good = sum(1 for char in text if char > "\x7f") - broken
    return good >= UTF8_GOOD_PER_BROKEN * broken


class _DecodedLines:
    """Decoded lines of a binary file, counting bytes and lines, noting lines that do not decode."""

    def __init__(self, handle: BinaryIO, encoding: str, start: Position) -> None:
        self.handle = handle
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.offset = start.offset
        self.line = start.line
        self.undecodable: list[int] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        if self.offset == 0 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
            self.offset += len(codecs.BOM_UTF8)
        self.offset += len(raw)
        self.line += 1
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError:
            self.undecodable.append(self.line)
            return raw.decode(self.encoding, errors="replace")


def read_records(path: Path, fmt: FileFormat, encoding: str, start: Position = Position()) -> Iterator[Record]:
    """Every record of the file after ``start``, in order; bad ones carry their reason."""
    with path.open("rb", buffering=1 << 20) as handle:
        if fmt == "jsonl":
            yield from _jsonl(handle, encoding, start)
        else:
            yield from _csv(handle, encoding, start, path.name)


def _jsonl(handle: BinaryIO, encoding: str, start: Position) -> Iterator[Record]:
    # The hot loop of every JSONL import: lines are read and counted here rather than through
    # _DecodedLines, which CSV needs for its multi-line rows.
    handle.seek(start.offset)
    decoding = "utf-8" if encoding == "utf-8-sig" else encoding
    offset, line = start.offset, start.line
    loads = json.loads
    plain_keys: dict[tuple[str, ...], bool] = {}  # key sets seen, and whether they are our names already
    for raw in handle:
        if offset == 0 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
            offset = len(codecs.BOM_UTF8)
        offset += len(raw)
        line += 1
        try:
            text = raw.decode(decoding)
        except UnicodeDecodeError:
            yield Record(line, Position(offset, line), error=f"not valid {decoding} text")
            continue
        if not text or text.isspace():
            continue
        try:
            value = loads(text)
        except json.JSONDecodeError as exc:
            message = exc.msg.removesuffix(" at")  # "Unterminated string starting at", "Invalid control character at"
            yield Record(line, Position(offset, line), error=f"not valid JSON ({message} at column {exc.colno})")
            continue
        if type(value) is not dict:
            yield Record(line, Position(offset, line), error=f"not a JSON object but {type(value).__name__}")
            continue
        keys = tuple(value)
        plain = plain_keys.get(keys)
        if plain is None:
            if len(plain_keys) >= _KEY_SETS:
                plain_keys.clear()
            plain = plain_keys[keys] = all(normalise_header(k) == k for k in keys)
        fields = value if plain else {normalise_header(k): v for k, v in value.items()}
        yield Record(line, Position(offset, line), fields)


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _csv(handle: BinaryIO, encoding: str, start: Position, name: str) -> Iterator[Record]:
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    lines = _DecodedLines(handle, encoding, Position())
    first = next(lines, "")
    delimiter = _delimiter(first)
    header = [normalise_header(h) for h in next(csv.reader([first], delimiter=delimiter), [])]
    if "text" not in header:
        shown = ", ".join(h for h in header if h)[:200] or "none"
        raise ImportFileError(f"{name}: no text column (columns: {shown}); the first row must name the columns")
    if start.offset > lines.offset:
        handle.seek(start.offset)
        lines.offset, lines.line = start.offset, start.line
    lines.undecodable.clear()
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        first_line = lines.line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(first_line, Position(lines.offset, lines.line), error=f"not valid CSV ({exc})")
            if lines.line < first_line:  # nothing consumed: the reader cannot move on
                return
            continue
        end = Position(lines.offset, lines.line)
        if lines.undecodable:
            bad = lines.undecodable[0]
            lines.undecodable.clear()
            yield Record(first_line, end, error=f"line {bad} is not valid {lines.encoding} text")
            continue
        if not any(cell.strip() for cell in row):
            continue
        fields = {key: restore_cell(cell) if cell else None for key, cell in zip(header, row, strict=False) if key}
        yield Record(first_line, end, fields=fields)
