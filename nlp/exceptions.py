"""Exceptions raised by the nlp package (one module, so callers can catch them narrowly)."""

from __future__ import annotations

import unicodedata


class NlpError(Exception):
    """Base class of every error raised on purpose by ``nlp``."""


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters (汉字, ，) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


class RuleSyntaxError(NlpError, ValueError):
    """A topic expression could not be parsed; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        self.expression = expression
        self.position = position
        # the caret goes under the character: count display columns (a CJK character takes two)
        pointer = f"{expression}\n{' ' * display_width(expression[:position])}^"
        super().__init__(f"{message} at position {position}:\n{pointer}")


class LabelError(NlpError, ValueError):
    """A labelled JSONL file has a bad line; the message names the file and line number."""


class ModelNotFoundError(NlpError, FileNotFoundError):
    """No trained model of that name in the models directory."""


class UnknownModelError(NlpError, ValueError):
    """The model name is not one of relevance, rumour, sentiment, category."""
