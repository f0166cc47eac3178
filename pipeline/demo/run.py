"""`yuqing demo`: the whole loop on this machine with nothing configured.

Start the demo site → crawl its news list and forum (each crawl its own process, as in
production) → analyse → raise alerts with their drafts → write the alert mails and
today's digest into the demo folder → create demo logins. The review app is started
by the CLI afterwards unless ``--no-serve``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config, load_config
from pipeline.db import engine_from_config, session_factory, transaction
from pipeline.demo.setup import DEMO_USERS, DemoPaths, demo_password, prepare
from pipeline.demo.site import DemoSite
from pipeline.migrate import upgrade
from pipeline.models import Alert, Analysis, Post, utcnow

log = logging.getLogger(__name__)

Step = Callable[[str], None]


@dataclass
class DemoSummary:
    paths: DemoPaths
    posts: int = 0
    relevant: int = 0
    rumours: int = 0  # 疑似谣言, as the digest counts them (one definition: alerts.digest.build)
    alerts_by_grade: dict[str, int] = field(default_factory=dict)
    mails: list[Path] = field(default_factory=list)          # alert mails (【舆情预警…)
    digest_mails: list[Path] = field(default_factory=list)   # the digest, one per recipient
    digest: Path | None = None
    reports: list[Path] = field(default_factory=list)
    crawl_errors: list[str] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""
    seconds: float = 0.0


def run_demo(out: Path, *, step: Step = lambda _: None, site: DemoSite | None = None
             ) -> tuple[DemoSummary, Config]:
    """Run the demo's crawl-to-digest part; returns its summary and the demo config.

    ``site``: a running demo site to crawl (the CLI keeps it up while it serves the review app, so the
    demo config's sources can be crawled again meanwhile); without it one is started and stopped here."""
    if site is None:
        step("starting the demo site")
        with DemoSite() as own_site:
            return run_demo(out, step=step, site=own_site)
    return _run_with_site(out, step, site)


def _run_with_site(out: Path, step: Step, site: DemoSite) -> tuple[DemoSummary, Config]:
    from pipeline.crawl import crawl_source
    from pipeline.outbox import deliver_due
    from pipeline.process import load_analyzer, process_pending

    started = datetime.now()
    paths = prepare(out, site.url)
    config = load_config(paths.config, environ={})
    summary = DemoSummary(paths=paths)
    engine = engine_from_config(config)
    try:
        upgrade(engine)
        factory = session_factory(engine)
        for source in config.sources:
            step(f"crawling {source.name} ({source.start_urls[0]})")
            result = crawl_source(config, paths.config, source.name)
            if result.status != "ok":
                summary.crawl_errors.append(f"{source.name}: {result.status} {result.message or ''}".strip())
        step("analysing posts, grouping events, raising alerts")
        process_pending(factory, config, analyzer=load_analyzer(config))
        step("writing alert mails")
        deliver_due(factory, config, now=utcnow())
        step("building today's digest")
        day = datetime.now(config.tz).date()
        summary.digest, digest_stats = _write_digest(factory, config, day, paths.digest(day.isoformat()))
        summary.rumours = int(digest_stats["totals"]["rumours"])
        deliver_due(factory, config, now=utcnow())
        step("writing the 初报 of the most severe alert and this week's report")
        summary.reports = _write_reports(factory, config, day, paths.root)
        step("creating demo logins")
        summary.password = demo_password(paths)
        summary.users = _ensure_users(factory, summary.password)
        _count(factory, summary)
    finally:
        engine.dispose()
    for mail in sorted(paths.mail.glob("*.eml")):
        (summary.digest_mails if _is_digest_mail(mail) else summary.mails).append(mail)
    summary.seconds = (datetime.now() - started).total_seconds()
    return summary, config


def _is_digest_mail(path: Path) -> bool:
    with path.open("rb") as handle:
        subject = BytesParser(policy=policy.default).parse(handle, headersonly=True)["Subject"]
    return str(subject or "").startswith("【舆情日报")


def _write_digest(factory: sessionmaker[Session], config: Config, day: date, path: Path
                  ) -> tuple[Path, dict[str, Any]]:
    """Build today's digest, archive it, queue its mails and write it as a standalone HTML file;
    returns the file and the digest's figures."""
    from pipeline.digest import publish_digest

    with transaction(factory) as session:
        result, _ = publish_digest(session, config, day, now=utcnow(), send=True)
    path.write_text(result.standalone_html(), encoding="utf-8")
    return path, result.stats


def _write_reports(factory: sessionmaker[Session], config: Config, day: date, folder: Path) -> list[Path]:
    """The 初报 of the most severe alert (an emergency first among equals) and this week's report, as Word files."""
    from pipeline.reports import SYSTEM_AUTHOR, export_report, initial_report, periodic_report, report_filename

    written = []
    now = utcnow()
    with transaction(factory) as session:
        alert_id = session.scalar(select(Alert.id).order_by(Alert.grade, Alert.category != "emergency", Alert.id)
                                  .limit(1))
        reports = [] if alert_id is None else [initial_report(session, config, alert_id, author=SYSTEM_AUTHOR,
                                                              now=now)]
        reports.append(periodic_report(session, config, "weekly", day, author=SYSTEM_AUTHOR, now=now))
        for report in reports:
            path = folder / report_filename(report)
            path.write_bytes(export_report(session, config, report, actor=SYSTEM_AUTHOR))
            written.append(path)
    return written


def _ensure_users(factory: sessionmaker[Session], password: str) -> list[tuple[str, str]]:
    from pipeline.store.users import add_user, get_user

    created = []
    with transaction(factory) as session:
        for name, role in DEMO_USERS:
            if get_user(session, name) is None:
                add_user(session, name, role, password)
            created.append((name, role))
    return created


def _count(factory: sessionmaker[Session], summary: DemoSummary) -> None:
    with factory() as session:
        summary.posts = session.scalar(select(func.count()).select_from(Post)) or 0
        summary.relevant = session.scalar(
            select(func.count()).select_from(Analysis).where(Analysis.is_relevant.is_(True))) or 0
        grades = Counter(session.scalars(select(Alert.grade)))
        summary.alerts_by_grade = dict(sorted(grades.items()))
