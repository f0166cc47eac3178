"""Value types of the config: durations, time zones, cron expressions, URLs and secrets."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, SecretStr

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """Parse ``30s``, ``10m``, ``2h``, ``1d`` (or a number of seconds) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m, 2h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION_RE.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 10m, 2h or 1d")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of `parse_duration`: 600 s → ``10m``, 5400 s → ``90m``."""
    seconds = value.total_seconds()
    for unit in ("d", "h", "m"):
        size = _DURATION_UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone; write e.g. Asia/Shanghai") from exc
    return value


def _check_cron(value: str | None) -> str | None:
    if value is None:
        return None
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"{value!r} is not a 5-field cron expression; write e.g. '*/10 * * * *'")
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid cron expression: {exc}") from exc
    return value


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _check_network(value: str) -> str:
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/24)") from exc
    return value.strip()


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
IPNetworkText = Annotated[str, AfterValidator(_check_network)]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
CronExpr = Annotated[str | None, AfterValidator(_check_cron)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]


class EnvValue(str):
    """A string that came from a ``${ENV_VAR}`` reference (so it may hold a secret)."""

    __slots__ = ()


def _secret_marker(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value
    if not isinstance(value, EnvValue):
        raise ValueError(
            "secrets are never written in the config file; write a ${ENV_VAR} reference, "
            "e.g. password: ${SMTP_PASSWORD}"
        )
    return SecretStr(str(value))


SecretValue = Annotated[SecretStr, BeforeValidator(_secret_marker)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
