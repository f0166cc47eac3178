"""The sections of the config file, each a strict pydantic model, and `Config`, the whole file."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from alerts.grades import Grade
from nlp.categories import Category
from pipeline.config_types import CronExpr, Duration, HttpUrl, IPNetworkText, SecretValue, Strict, TimeZoneName


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


SourceKind = Literal["list", "forum", "feed", "sitemap", "import", "hotlist"]
ForumSoftware = Literal["discuz", "phpbb", "discourse", "flarum", "phpwind"]
HotlistPlatform = Literal["weibo", "baidu", "zhihu", "douyin", "toutiao", "bilibili", "newsnow", "dailyhot", "rsshub"]
Encoding = Literal["auto", "utf-8", "gbk", "gb2312", "gb18030", "big5"]


class SourceConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: SourceKind
    enabled: bool = True
    start_urls: list[HttpUrl] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list, description="more domains links may lead to "
                                       "(default: only the start URLs' own origins)")
    allow_private: bool = Field(False, description="may fetch loopback/private/link-local addresses (an intranet "
                                "site); a start URL on such an address allows its own kind anyway")
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
    software: ForumSoftware | None = Field(None, description="forum: the software whose preset selectors apply "
                                           "(default: recognised from the start page unless selectors.post is set)")
    platform: HotlistPlatform | None = Field(None, description="hotlist: whose hot list")
    base_url: HttpUrl | None = Field(None, description="hotlist: the address of a newsnow / dailyhot / rsshub "
                                     "aggregator")
    board: str = Field("weibo", min_length=1, description="hotlist via an aggregator: which list (newsnow id, "
                       "DailyHotApi route, or an RSSHub route such as /weibo/search/hot)")
    alert_rank: int = Field(20, ge=1, le=100, description="hotlist: a relevant entry at this rank or better "
                            "is an alert signal")
    alert_grade: Grade = Field(Grade.II, description="hotlist: the least grade such an entry raises")

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
        elif self.kind == "hotlist":
            self._resolve_hotlist()
        elif not self.start_urls:
            raise ValueError(f"a {self.kind} source needs at least one start_urls entry")
        return self

    def _resolve_hotlist(self) -> None:
        """A hot list is polled at its platform's endpoint unless start_urls names another (a mirror)."""
        from crawlers.hotlists import hotlist_url

        if self.platform is None:
            raise ValueError("a hotlist source needs platform: weibo, baidu, zhihu, douyin, toutiao, bilibili, "
                             "or newsnow / dailyhot / rsshub with base_url")
        if self.platform in ("newsnow", "dailyhot", "rsshub") and not self.base_url and not self.start_urls:
            raise ValueError(f"platform {self.platform} is an aggregator: give base_url, its address")
        if not self.start_urls:
            try:
                url = hotlist_url(self.platform, base_url=self.base_url, board=self.board)
            except ValueError as exc:
                raise ValueError(str(exc)) from None
            object.__setattr__(self, "start_urls", [url])  # frozen model: set once, while validating

    @property
    def hotlist_label(self) -> str:
        from crawlers.hotlists import hotlist_label

        return hotlist_label(self.platform or "", self.board)

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
    label: str | None = Field(None, max_length=40, description="the rule's name as people read it (Chinese)")
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


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ReportsConfig(Strict):
    """Written reports (pipeline.reports): 舆情专报 from alerts, weekly and monthly reports as Word files."""

    unit: str = Field("舆情监测室", min_length=1, max_length=60, description="报送单位 on every report's heading")
    template: str | None = Field(None, description="a .docx whose styles (fonts, sizes, margins) reports use "
                                 "(default: the built-in GB/T 9704 layout)")
    recipients: list[str] | None = Field(None, description="who gets the weekly and monthly reports by mail "
                                         "(default: digest.recipients; [] mails none)")
    weekly_day: Weekday | None = Field("mon", description="the day the last week's report is mailed (null: never)")
    monthly_day: int | None = Field(1, ge=1, le=28, description="the day of the month the last month's report "
                                    "is mailed (null: never)")
    time: dt.time = Field(default=dt.time(9, 0), description="local time the periodic reports are mailed")
    attach_to_escalation: bool = Field(True, description="attach the alert's 初报 to its escalation mail")

    @field_validator("template")
    @classmethod
    def _docx(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith(".docx"):
            raise ValueError(f"{value!r}: the report template must be a Word .docx file")
        return value


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
    base_url: HttpUrl | None = Field(None, description="public URL of the app, used in mail links; https "
                                     "here makes the session cookie Secure")
    inbox_days: int = Field(7, ge=1, le=3650, description="the inbox shows this many recent days unless a date "
                            "range is chosen")
    https_only: bool = Field(False, description="mark the session cookie Secure even when base_url is not https")
    login_attempts_per_client: int = Field(30, ge=1, description="failed logins per minute from one client "
                                           "address before it must wait")
    trusted_proxies: list[IPNetworkText] = Field(default_factory=list, description="addresses of reverse proxies "
                                                 "whose X-Forwarded-For names the client (IPs or CIDR networks)")

    @property
    def secure_cookies(self) -> bool:
        """Mark the session cookie Secure: forced, or the app's public URL is https."""
        return self.https_only or (self.base_url or "").lower().startswith("https://")


class ProcessConfig(Strict):
    batch_size: int = Field(500, ge=1, le=100_000)
    every: Duration = timedelta(minutes=1)
    event_window: Duration = timedelta(days=3)
    claim_lease: Duration = Field(timedelta(minutes=10), description="a batch claimed by a worker that died "
                                  "is redone by another after this (must exceed a batch's processing time)")
    event_index_posts: int = Field(50_000, ge=1000, description="recent posts a worker keeps in memory to "
                                   "join new posts to their events (about 1.3 KB each)")
    story_threshold: float = Field(0.3, ge=0, le=1, description="cosine similarity (TF-IDF of content words, "
                                   "names and places weigh more) at which a post told in other words joins a "
                                   "story's event; 0 turns story linking off (only copies and close "
                                   "paraphrases merge)")


class RetentionConfig(Strict):
    """What the daily ``retention`` job (and `yuqing prune`) deletes; see pipeline.retention."""

    posts: Duration | None = Field(None, description="delete processed posts fetched longer ago than this, with "
                                   "their analyses (None: keep); posts of an event with an open alert stay")
    keep_labelled: bool = Field(True, description="keep posts analysts labelled past `posts` (they are the "
                                "models' training data; deleting a post deletes its labels)")
    audit: Duration | None = Field(None, description="delete audit log entries older than this (None: keep)")
    crawl_runs: Duration | None = Field(timedelta(days=90), description="delete the crawl history older than "
                                        "this (None: keep); status and the digest read only the last days")


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
    reports: ReportsConfig = ReportsConfig()
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
