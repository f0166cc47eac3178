"""Errors the alerts package raises on purpose (callers turn them into one clear line)."""

from __future__ import annotations


class AlertsError(Exception):
    """Base of the alerts package's deliberate errors."""


class TemplateError(AlertsError):
    """A response or mail template is missing or cannot be rendered."""


class ChannelError(AlertsError):
    """A notification could not be delivered; ``permanent`` means retrying will not help."""

    def __init__(self, message: str, *, permanent: bool = False, parts_sent: int = 0) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.parts_sent = parts_sent  # webhooks: parts already delivered before the failure
