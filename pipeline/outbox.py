"""Deliver due notifications from the outbox: mail (SMTP, or .eml files) and robot webhooks.

Every message was written to ``notifications`` before this runs (in the same transaction
as the alert that caused it). Here each due message is claimed with a lease, sent, and
marked sent; a failure retries with exponential backoff and ends ``dead`` after
``notify.max_attempts``. A sender killed mid-send leaves a ``sending`` row whose lease
runs out, so the message becomes due again: nothing is lost. Each message is settled
in its own transaction right after it is sent, which keeps the window in which a crash
could cause a second delivery to the time between the server's "250 OK" and one commit;
the Message-ID derived from the idempotency key lets a mailbox spot that rare repeat.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from alerts.channels.email import SmtpSender, build_email, write_eml
from alerts.channels.webhook import build_bodies, send_parts
from alerts.exceptions import ChannelError
from pipeline.config import Config, WebhookConfig
from pipeline.db import transaction
from pipeline.models import utcnow
from pipeline.store import outbox as store
from pipeline.store.outbox import Claimed

log = logging.getLogger(__name__)

EMAIL = "email"
WEBHOOK_PREFIX = "webhook:"


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_claims: int = 0  # settled by someone else after our lease ran out


def backoff(config: Config, attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: base · 2^(attempts-1), at most backoff_max."""
    base = config.notify.backoff_base.total_seconds()
    delay = min(base * (2 ** max(attempts - 1, 0)), config.notify.backoff_max.total_seconds())
    return timedelta(seconds=delay)


def _file_stem(claimed: Claimed) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", claimed.idempotency_key)[:80]
    return f"{claimed.id:06d}-{safe}"


class _Senders:
    """The connections one delivery run shares (one SMTP connection, reused)."""

    def __init__(self, config: Config, factory: sessionmaker[Session]) -> None:
        self.config = config
        self.factory = factory
        self.smtp = SmtpSender(config.smtp)

    def send(self, claimed: Claimed) -> None:
        if claimed.channel == EMAIL:
            self._email(claimed)
        elif claimed.channel.startswith(WEBHOOK_PREFIX):
            self._webhook(claimed, claimed.channel[len(WEBHOOK_PREFIX):])
        else:
            raise ChannelError(f"unknown channel {claimed.channel!r}", permanent=True)

    def _email(self, claimed: Claimed) -> None:
        p = claimed.payload
        to = [a.strip() for a in claimed.recipient.split(",") if a.strip()]
        images = {cid: base64.b64decode(data) for cid, data in (p.get("images") or {}).items()}
        files = [(a["filename"], a["content_type"], base64.b64decode(a["data"])) for a in p.get("attachments") or ()]
        msg = build_email(sender=self.config.smtp.sender, to=to, subject=claimed.subject, text=p.get("text", ""),
                          html=p.get("html"), images=images, idempotency_key=claimed.idempotency_key,
                          tz=self.config.tz, attachments=files)
        if self.config.smtp.outbox_dir:
            write_eml(self.config.path(self.config.smtp.outbox_dir), _file_stem(claimed), msg, p.get("html"))
        else:
            self.smtp.send(msg, to)

    def _webhook(self, claimed: Claimed, name: str) -> None:
        hook = self._hook(name)
        p = claimed.payload
        bodies = build_bodies(hook.kind, title=claimed.subject, markdown=p.get("markdown", ""),
                              fields=p.get("fields"), grade=p.get("grade"))
        start = int(p.get("parts_sent", 0))

        def progress(parts_sent: int) -> None:
            if parts_sent < len(bodies):  # the last part is recorded by mark_sent
                with transaction(self.factory) as session:
                    store.save_progress(session, claimed, {**p, "parts_sent": parts_sent})

        with httpx.Client(timeout=hook.timeout.total_seconds()) as client:
            send_parts(client, kind=hook.kind, url=hook.url.get_secret_value(), bodies=bodies,
                       secret=hook.secret.get_secret_value() if hook.secret else None, start=start,
                       on_part_sent=progress)

    def _hook(self, name: str) -> WebhookConfig:
        for hook in self.config.webhooks:
            if hook.name == name:
                return hook
        raise ChannelError(f"webhook {name!r} is not in the config any more", permanent=True)

    def close(self) -> None:
        self.smtp.close()


def _settle_failure(factory: sessionmaker[Session], config: Config, claimed: Claimed, exc: ChannelError,
                    now: datetime, report: DeliveryReport) -> None:
    give_up = exc.permanent or claimed.attempts >= config.notify.max_attempts
    retry_at = None if give_up else now + backoff(config, claimed.attempts)
    with transaction(factory) as session:
        if exc.parts_sent:
            store.save_progress(session, claimed, {**claimed.payload, "parts_sent": exc.parts_sent})
        settled = store.mark_failed(session, claimed, error=str(exc), retry_at=retry_at)
    extra = {"notification": claimed.id, "channel": claimed.channel, "attempt": claimed.attempts,
             "error": str(exc)}
    if not settled:
        report.lost_claims += 1
    elif give_up:
        report.dead += 1
        log.error("notification dead", extra=extra)
    else:
        report.retried += 1
        log.warning("notification failed; will retry", extra={**extra, "retry_at": retry_at})


def deliver_due(factory: sessionmaker[Session], config: Config, *, now: datetime | None = None,
                max_messages: int | None = None) -> DeliveryReport:
    """Send every due message once; returns counts of what happened."""
    now = now or utcnow()
    report = DeliveryReport()
    senders = _Senders(config, factory)
    lease_until = now + config.notify.lease
    try:
        while max_messages is None or report.claimed < max_messages:
            limit = config.notify.batch_size
            if max_messages is not None:
                limit = min(limit, max_messages - report.claimed)
            with transaction(factory) as session:
                batch = store.claim_due(session, now=now, lease_until=lease_until, limit=limit)
            if not batch:
                break
            report.claimed += len(batch)
            for claimed in batch:
                try:
                    senders.send(claimed)
                except ChannelError as exc:
                    _settle_failure(factory, config, claimed, exc, now, report)
                    continue
                with transaction(factory) as session:
                    if store.mark_sent(session, claimed, now=now):
                        report.sent += 1
                    else:
                        report.lost_claims += 1
                log.info("notification sent", extra={"notification": claimed.id, "channel": claimed.channel})
    finally:
        senders.close()
    return report


def outbox_summary(session: Session) -> dict[str, Any]:
    """Queue sizes by status, for `yuqing status` and the CLI."""
    return dict(store.status_counts(session))
