"""Errors the pipeline raises on purpose. The CLI turns each into one clear line."""

from __future__ import annotations


class YuqingError(Exception):
    """Base of every error yuqing reports to the user without a traceback."""


class StorageError(YuqingError):
    """The database cannot be opened, reached or written."""


class DatabaseNotReady(StorageError):
    """The schema is missing or out of date: run `yuqing db upgrade`."""


class DuplicateUser(YuqingError):
    """A login of that name exists already."""


class NotFound(YuqingError):
    """A named thing (source, user, alert) does not exist."""


class ReportTemplateError(YuqingError):
    """``reports.template`` is missing or is not a Word file python-docx can open."""
