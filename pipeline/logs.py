"""Structured logging: one line per record, with the ids needed to trace a problem.

Anything passed as ``extra={...}`` (source, job, post ids, ...) is appended as
``key=value`` pairs, so ``grep source=city-news`` finds a source's whole story.
"""

from __future__ import annotations

import json
import logging
import sys

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class KeyValueFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if extras:
            line += " " + " ".join(f"{k}={_value(v)}" for k, v in extras.items())
        return line


def _value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


def setup_logging(level: int = logging.WARNING) -> None:
    """Configure the root logger once for a CLI process (stderr, key=value lines)."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("scrapy", "twisted", "filelock", "jieba", "urllib3", "httpx", "matplotlib", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
