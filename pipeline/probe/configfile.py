"""Write a new source into the config file, keeping everything else in it as it was.

The block is inserted as text at the end of the ``sources:`` list (comments and layout stay),
the result is validated as `yuqing check-config` does, and only then does it replace the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import ConfigError, load_config
from pipeline.exceptions import YuqingError

_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_SOURCES = re.compile(r"^sources\s*:\s*(\[\s*\])?\s*(#.*)?$")


def source_yaml(name: str, block: dict[str, Any]) -> str:
    """The source as the lines of a YAML list item, indented for ``sources:``."""
    text = yaml.safe_dump([{"name": name, **block}], allow_unicode=True, sort_keys=False, width=120)
    return "".join(f"  {line}\n" for line in text.splitlines())


def with_source(text: str, item: str) -> str:
    """``text`` (a config file) with ``item`` appended to its ``sources:`` list."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        match = _SOURCES.match(line.rstrip("\n"))
        if not match:
            continue
        if match.group(1):  # "sources: []"
            lines[i] = "sources:\n"
        end = i + 1
        while end < len(lines) and not _TOP_KEY.match(lines[end]):
            end += 1
        while end > i + 1 and not lines[end - 1].strip():  # keep blank lines after the list
            end -= 1
        if end > 0 and not lines[end - 1].endswith("\n"):
            lines[end - 1] += "\n"
        return "".join(lines[:end]) + item + "".join(lines[end:])
    return text + ("" if text.endswith("\n") or not text else "\n") + "sources:\n" + item


def add_source(path: Path, name: str, block: dict[str, Any], *, environ: dict[str, str] | None = None) -> None:
    """Add source ``name`` to the config file at ``path``; `YuqingError` / `ConfigError` and nothing
    written when the name is taken or the config would not validate."""
    config = load_config(path, environ=environ)
    if any(s.name == name for s in config.sources):
        raise YuqingError(f"a source named {name!r} is already in {path}; choose another name")
    text = with_source(path.read_text(encoding="utf-8"), source_yaml(name, block))
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_config(tmp, environ=environ).source(name)
    except ConfigError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"{path} with source {name!r} added", exc.issues) from None
    os.replace(tmp, path)
