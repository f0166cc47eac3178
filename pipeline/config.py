"""The whole configuration: one typed, validated model, read once and passed in.

`load_config` is the only place that reads the config file or the environment.
Secrets are never written in the file: a secret field holds a ``${ENV_VAR}``
reference that is resolved here, from the ``environ`` mapping the caller passes.
Relative paths (the SQLite file, template folders, output folders) are resolved
against the folder of the config file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from alerts.grades import Grade
from nlp.categories import Category

DEFAULT_CONFIG_NAME = "config.yaml"
STARTER_CONFIG = Path(__file__).resolve().parent / "resources" / "config.yaml"
CONFIG_ENV_VAR = "YUQING_CONFIG"

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ENV_REF_RE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


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


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
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


class StorageConfig(Strict):
    url: str = Field("sqlite:///var/yuqing.db", description="SQLAlchemy URL (sqlite or postgresql+psycopg)")
    pool_size: int = Field(5, ge=1, le=100)
    busy_timeout_s: float = Field(30, gt=0)

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not (value.startswith("sqlite") or value.startswith("postgresql")):
            raise ValueError(
                f"{value!r}: use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
            )
        return value


class Selectors(Strict):
    """CSS selectors (Scrapy/parsel syntax) unless prefixed ``xpath:``."""

    links: str | None = None
    next_page: str | None = None
    title: str | None = None
    body: str | None = None
    author: str | None = None
    time: str | None = None
    boards: str | None = None
    post: str | None = None
    post_body: str | None = None
    post_author: str | None = None
    post_time: str | None = None
    thread_title: str | None = None
    thread_next_page: str | None = None
    post_floor: str | None = Field(None, description="forum: floor number of a post (default: data-number/"
                                   "data-floor attribute, else its position)")


SourceKind = Literal["list", "forum", "feed", "sitemap", "import"]
Encoding = Literal["auto", "utf-8", "gbk", "gb2312", "gb18030", "big5"]


class SourceConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: SourceKind
    enabled: bool = True
    start_urls: list[HttpUrl] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list)
    every: Duration | None = None
    cron: CronExpr = None
    encoding: Encoding = "auto"
    timezone: TimeZoneName | None = None
    selectors: Selectors = Selectors()
    follow: bool = False
    url_pattern: str | None = Field(None, description="sitemap: regex a URL must match")
    lookback: Duration | None = Field(None, description="sitemap: only entries modified this recently")
    max_pages: int = Field(5000, ge=1)
    folder: str | None = Field(None, description="import: folder watched for new files")
    topics: list[str] = Field(default_factory=list, description="restrict to these topics (empty: all)")

    @field_validator("url_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> SourceConfig:
        if self.every is not None and self.cron is not None:
            raise ValueError("give either every or cron, not both")
        if self.kind == "import":
            if not self.folder:
                raise ValueError("an import source needs folder: the folder watched for new files")
        elif not self.start_urls:
            raise ValueError(f"a {self.kind} source needs at least one start_urls entry")
        if self.kind == "forum" and not self.selectors.post:
            raise ValueError("a forum source needs selectors.post (one element per post or reply)")
        return self

    @property
    def schedule_every(self) -> timedelta | None:
        """The crawl interval; ten minutes when neither every nor cron is given."""
        if self.cron is not None:
            return None
        return self.every or timedelta(minutes=10)

    def domains(self) -> list[str]:
        if self.allowed_domains:
            return list(self.allowed_domains)
        hosts = {urlsplit(url).hostname or "" for url in self.start_urls}
        return sorted(h for h in hosts if h)


class CrawlConfig(Strict):
    """Politeness and limits shared by every crawl (DESIGN §5)."""

    user_agent: str = "yuqing/0.1 (public-opinion monitor; +{contact})"
    contact: str = Field("webmaster@example.org", description="address site owners can write to")
    obey_robots: bool = True
    download_delay: float = Field(1.0, ge=0)
    concurrency_per_domain: int = Field(2, ge=1, le=32)
    autothrottle: bool = True
    timeout: Duration = timedelta(seconds=30)
    retries: int = Field(3, ge=0, le=10)
    retry_backoff: Duration = Field(timedelta(seconds=2), description="wait before a retry; doubles per attempt")
    max_page_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    run_time_limit: Duration = timedelta(minutes=15)
    redis_url: str | None = None
    unhealthy_after_failures: int = Field(3, ge=1)
    deny_url_patterns: list[str] = Field(
        default_factory=lambda: [r"/login", r"/logout", r"/register", r"/search", r"/publish", r"/post/new"]
    )

    @property
    def resolved_user_agent(self) -> str:
        return self.user_agent.replace("{contact}", self.contact)


class TopicConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    label: str = Field(description="the name people see, e.g. 生育政策")
    expression: str = Field(min_length=1, description="AND / OR / NOT / ( ) / NEAR/n over keywords")
    scope: Literal["all", "title", "body"] = "all"


class MonitorConfig(Strict):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    topics: list[str] = Field(default_factory=list, description="empty: every topic")
    supervisor: str | None = None
    phone: str | None = None
    webhooks: list[str] = Field(default_factory=list, description="names of webhooks that also get alerts")


class AlertRuleConfig(Strict):
    """Which analysed posts and events raise an alert. All given conditions must hold."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    topics: list[str] = Field(default_factory=list, description="empty: any topic")
    categories: list[Category] = Field(default_factory=list, description="empty: any category")
    min_relevance: float = Field(0.5, ge=0, le=1)
    min_rumour: float | None = Field(None, ge=0, le=1)
    min_negative: float | None = Field(None, ge=0, le=1)
    min_heat: float | None = Field(None, ge=0)
    min_posts: int = Field(1, ge=1)
    min_sources: int = Field(1, ge=1)
    burst: bool = Field(False, description="only when the event or topic is bursting")
    min_grade: Grade | None = Field(None, description="grade at least this severe")


def _default_deadlines() -> dict[Grade, timedelta]:
    return {Grade.I: timedelta(hours=1), Grade.II: timedelta(hours=1),
            Grade.III: timedelta(hours=2), Grade.IV: timedelta(hours=2)}


class AlertsConfig(Strict):
    deadlines: dict[Grade, Duration] = Field(default_factory=_default_deadlines)
    followup_every: Duration = timedelta(hours=4)
    escalate: bool = True
    templates_dir: str | None = Field(None, description="folder of .j2 files overriding the shipped ones")
    rules: list[AlertRuleConfig] = Field(default_factory=list)

    @field_validator("deadlines")
    @classmethod
    def _all_grades(cls, value: dict[Grade, timedelta]) -> dict[Grade, timedelta]:
        merged = _default_deadlines()
        merged.update(value)
        return merged


class DigestConfig(Strict):
    time: dt.time = Field(default=dt.time(8, 0), description="local time the digest is built and sent")
    recipients: list[str] = Field(default_factory=list)
    top_events: int = Field(10, ge=1, le=100)
    archive: bool = True


class SmtpConfig(Strict):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    username: str | None = None
    password: SecretValue | None = None
    security: Literal["none", "starttls", "ssl"] = "none"
    sender: str = "yuqing@localhost"
    timeout: Duration = timedelta(seconds=30)
    outbox_dir: str | None = Field(None, description="write mails as .eml files here instead of sending")


class WebhookConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: Literal["generic", "wecom", "dingtalk", "feishu"] = "generic"
    url: SecretValue
    secret: SecretValue | None = Field(None, description="signing secret (DingTalk, Feishu)")
    timeout: Duration = timedelta(seconds=10)


class NotifyConfig(Strict):
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_base: Duration = timedelta(seconds=30)
    backoff_max: Duration = timedelta(hours=1)
    batch_size: int = Field(100, ge=1)
    lease: Duration = Field(timedelta(minutes=5), description="a message being sent is retried after this "
                            "if its sender died (must exceed smtp/webhook timeouts)")


class ReviewConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    secret_key: SecretValue | None = Field(None, description="signs session cookies; random per start if unset")
    session_hours: float = Field(12, gt=0)
    login_attempts_per_minute: int = Field(5, ge=1)
    base_url: str | None = Field(None, description="public URL of the app, used in mail links")
    inbox_days: int = Field(7, ge=1, le=3650, description="the inbox shows this many recent days unless a date "
                            "range is chosen")
    https_only: bool = Field(False, description="mark the session cookie Secure (behind an https proxy)")


class ProcessConfig(Strict):
    batch_size: int = Field(500, ge=1, le=100_000)
    every: Duration = timedelta(minutes=1)
    event_window: Duration = timedelta(days=3)
    claim_lease: Duration = Field(timedelta(minutes=10), description="a batch claimed by a worker that died "
                                  "is redone by another after this (must exceed a batch's processing time)")


class RetentionConfig(Strict):
    posts: Duration | None = Field(None, description="delete posts older than this (None: keep)")
    audit: Duration | None = None


class NlpConfig(Strict):
    models_dir: str | None = Field(None, description="folder of trained models (default: the shipped ones)")
    training_data: str | None = Field(None, description="folder with rumour/, topic/, sentiment/ JSONL")
    relevance_threshold: float = Field(0.5, ge=0, le=1)


class Config(Strict):
    """The whole config file. ``base_dir`` is where relative paths are resolved."""

    storage: StorageConfig = StorageConfig()
    timezone: TimeZoneName = "Asia/Shanghai"
    data_dir: str = Field("var", description="folder for the database, models, digests and logs")
    crawl: CrawlConfig = CrawlConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)
    monitors: list[MonitorConfig] = Field(default_factory=list)
    alerts: AlertsConfig = AlertsConfig()
    digest: DigestConfig = DigestConfig()
    smtp: SmtpConfig = SmtpConfig()
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    notify: NotifyConfig = NotifyConfig()
    review: ReviewConfig = ReviewConfig()
    process: ProcessConfig = ProcessConfig()
    retention: RetentionConfig = RetentionConfig()
    nlp: NlpConfig = NlpConfig()
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def path(self, value: str | Path) -> Path:
        """Resolve a config path against the config file's folder."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate)

    @property
    def database_url(self) -> str:
        """The storage URL with a relative SQLite path resolved against ``base_dir``."""
        url = self.storage.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
            return prefix + str(self.path(url[len(prefix):]))
        return url

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def source_timezone(self, source: SourceConfig) -> ZoneInfo:
        return ZoneInfo(source.timezone or self.timezone)


class ConfigIssue(BaseModel):
    """One problem in a config file: where, what was there, and how to fix it."""

    path: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (got {_short(self.value)})"
        return f"{self.path or '<file>'}: {self.message}{shown}"


class ConfigError(Exception):
    """The config file could not be read or is invalid; ``issues`` lists every problem."""

    def __init__(self, source: str, issues: list[ConfigIssue]) -> None:
        self.source = source
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{source}: {len(issues)} problem(s)\n{lines}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _resolve_env(node: Any, environ: Mapping[str, str], path: str, issues: list[ConfigIssue]) -> Any:
    """Replace ``${VAR}`` strings by a marker carrying the variable's value."""
    if isinstance(node, dict):
        return {k: _resolve_env(v, environ, f"{path}.{k}" if path else str(k), issues) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_env(v, environ, f"{path}[{i}]", issues) for i, v in enumerate(node)]
    if isinstance(node, str):
        match = _ENV_REF_RE.match(node.strip())
        if match:
            name = match.group(1)
            if name not in environ:
                issues.append(ConfigIssue(path=path, message=f"environment variable {name} is not set", value=node))
                return None
            return EnvValue(environ[name])
    return node


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc`` (for unknown-key hints)."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ()) or ()
        candidates = [annotation, *args]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _issues_from(exc: ValidationError) -> list[ConfigIssue]:
    issues = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = _loc_to_path(loc)
        value = err.get("input")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            owner = _model_at(loc)
            known = ", ".join(k for k in owner.model_fields if k != "base_dir") if owner else ""
            message = "unknown key" + (f"; valid keys here: {known}" if known else "")
            value = None
        elif err["type"] == "string_pattern_mismatch" and loc and loc[-1] == "name":
            message = "names use letters, digits, '-', '_' or '.', no spaces, at most 64 characters"
        elif err["type"] == "string_pattern_mismatch" and loc and loc[-1] == "email":
            message = "not an e-mail address; write e.g. someone@example.gov.cn"
        elif err["type"] == "missing":
            message = "required key is missing"
            value = None
        if message.startswith("secrets are never"):
            value = None  # never echo a secret written in the file
        elif isinstance(value, EnvValue):
            value = "${…}"
        elif isinstance(value, dict | list):
            value = None
        issues.append(ConfigIssue(path=path, message=message, value=value))
    return issues


def _cross_check(config: Config) -> list[ConfigIssue]:
    """References between sections: names unique, topics, supervisors and webhooks exist."""
    issues: list[ConfigIssue] = []
    topic_names = {t.name for t in config.topics}
    webhook_names = {w.name for w in config.webhooks}
    monitor_names = {m.name for m in config.monitors}

    def dupes(kind: str, names: list[str]) -> None:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                issues.append(ConfigIssue(path=f"{kind}[{i}].name", message="duplicate name; names must be unique",
                                          value=name))
            seen.add(name)

    dupes("sources", [s.name for s in config.sources])
    dupes("topics", [t.name for t in config.topics])
    dupes("monitors", [m.name for m in config.monitors])
    dupes("webhooks", [w.name for w in config.webhooks])
    dupes("alerts.rules", [r.name for r in config.alerts.rules])
    known = ", ".join(sorted(topic_names)) or "(none defined)"
    for i, monitor in enumerate(config.monitors):
        for j, topic in enumerate(monitor.topics):
            if topic not in topic_names:
                issues.append(ConfigIssue(path=f"monitors[{i}].topics[{j}]",
                                          message=f"no such topic; defined topics: {known}", value=topic))
        if monitor.supervisor is not None and monitor.supervisor not in monitor_names:
            issues.append(ConfigIssue(path=f"monitors[{i}].supervisor",
                                      message="no monitor of that name; the supervisor must be listed in monitors",
                                      value=monitor.supervisor))
        for j, hook in enumerate(monitor.webhooks):
            if hook not in webhook_names:
                issues.append(ConfigIssue(path=f"monitors[{i}].webhooks[{j}]",
                                          message="no webhook of that name in webhooks", value=hook))
    for i, rule in enumerate(config.alerts.rules):
        for j, topic in enumerate(rule.topics):
            if topic not in topic_names:
                issues.append(ConfigIssue(path=f"alerts.rules[{i}].topics[{j}]",
                                          message=f"no such topic; defined topics: {known}", value=topic))
    for i, source in enumerate(config.sources):
        for j, topic in enumerate(source.topics):
            if topic not in topic_names:
                issues.append(ConfigIssue(path=f"sources[{i}].topics[{j}]",
                                          message=f"no such topic; defined topics: {known}", value=topic))
    issues.extend(_check_topic_expressions(config))
    return issues


def _check_topic_expressions(config: Config) -> list[ConfigIssue]:
    try:
        from nlp.rules import RuleSyntaxError, compile_rule
    except ImportError:  # the rule compiler ships with nlp; without it nothing to check
        return []
    issues = []
    for i, topic in enumerate(config.topics):
        try:
            compile_rule(topic.expression)
        except RuleSyntaxError as exc:
            issues.append(ConfigIssue(path=f"topics[{i}].expression", message=str(exc), value=topic.expression))
    return issues


def parse_config(data: Any, *, base_dir: Path, environ: Mapping[str, str], source: str = "<config>") -> Config:
    """Validate already-parsed YAML data. Raises `ConfigError` listing every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigIssue(path="", message="the file must be a mapping of keys to values")])
    issues: list[ConfigIssue] = []
    resolved = _resolve_env(data, environ, "", issues)
    try:
        config = Config.model_validate({**resolved, "base_dir": base_dir})
    except ValidationError as exc:
        issues.extend(_issues_from(exc))
        raise ConfigError(source, issues) from None
    issues.extend(_cross_check(config))
    if issues:
        raise ConfigError(source, issues)
    return config


def config_file_path(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """``path``, else ``$YUQING_CONFIG``, else ``./config.yaml``."""
    env = os.environ if environ is None else environ
    return path if path is not None else Path(env.get(CONFIG_ENV_VAR, DEFAULT_CONFIG_NAME))


def load_config(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file (``path``, else ``$YUQING_CONFIG``, else ``./config.yaml``)."""
    env = os.environ if environ is None else environ
    path = config_file_path(path, env)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, [ConfigIssue(path="", message="file not found; run `yuqing init` to write one")]) \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [ConfigIssue(path="", message=f"cannot read the file: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [ConfigIssue(path="", message=f"not valid YAML: {where}{problem}")]) from None
    return parse_config(data, base_dir=path.resolve().parent, environ=env, source=source)


def default_config(base_dir: Path, **overrides: Any) -> Config:
    """The embedded defaults (used by `yuqing demo` and tests), with optional overrides."""
    return parse_config(overrides, base_dir=base_dir, environ={}, source="<defaults>")
