"""Mail: build a MIME message (plain text + HTML + inline images) and send it by SMTP.

Headers are encoded by `email.policy.SMTP`, so a Chinese subject or display name goes
out as RFC 2047 encoded words. The Message-ID is derived from the outbox's idempotency
key: a receiver (or a mail log) can tell a retried message from a new one.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from alerts.exceptions import ChannelError

if TYPE_CHECKING:
    from pipeline.config import SmtpConfig


def message_id(idempotency_key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "yuqing.local"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_email(*, sender: str, to: Sequence[str], subject: str, text: str, html: str | None = None,
                images: Mapping[str, bytes] | None = None, idempotency_key: str | None = None,
                tz: tzinfo | None = None, now: datetime | None = None,
                attachments: Sequence[tuple[str, str, bytes]] = ()) -> EmailMessage:
    """A multipart/alternative mail; ``images`` (content-id → PNG) are attached inline to the HTML,
    ``attachments`` (file name, MIME type, bytes) as files (a Word report).

    The ``Date:`` header is ``now`` (default: this moment) in ``tz``, the office's zone, with its offset
    (``+0800``), as a mail client shows it; without ``tz``, UTC (``+0000``)."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    moment = now if now is not None else datetime.now(UTC)
    msg["Date"] = format_datetime(moment.astimezone(tz or UTC))
    msg["Message-ID"] = message_id(idempotency_key, sender) if idempotency_key else make_msgid()
    msg.set_content(text, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
        if images:
            html_part = msg.get_body(preferencelist=("html",))
            assert isinstance(html_part, EmailMessage)
            for cid, data in images.items():
                html_part.add_related(data, "image", "png", cid=f"<{cid}>", filename=f"{cid}.png")
    for filename, mime, data in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def write_eml(folder: Path, stem: str, msg: EmailMessage, html: str | None = None) -> Path:
    """Write the mail as ``stem.eml`` (and its HTML as ``stem.html``) instead of sending it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)
    if html is not None:
        (folder / f"{stem}.html").write_text(html, encoding="utf-8")
    return path


class SmtpSender:
    """One SMTP connection reused for a batch of mails; opened on the first send."""

    def __init__(self, settings: SmtpConfig) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        timeout = s.timeout.total_seconds()
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=timeout,
                                                      context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=timeout)
                if s.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            if s.username:
                conn.login(s.username, s.password.get_secret_value() if s.password else "")
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"SMTP login to {s.host}:{s.port} refused: {exc.smtp_code}", permanent=False) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"SMTP server {s.host}:{s.port} unreachable: {exc}") from None
        return conn

    def send(self, msg: EmailMessage, recipients: Sequence[str]) -> None:
        """Send one mail; `ChannelError` (``permanent`` for 5xx refusals) when it was not accepted."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                refused = self._conn.send_message(msg, to_addrs=list(recipients))
            except smtplib.SMTPServerDisconnected as exc:
                self._conn = None
                if attempt == 2:
                    raise ChannelError(f"SMTP server disconnected: {exc}") from None
                continue  # a reused connection went stale: reconnect once
            except smtplib.SMTPRecipientsRefused as exc:
                raise ChannelError(f"recipients refused: {exc.recipients}", permanent=True) from None
            except smtplib.SMTPResponseException as exc:
                self.close()
                raise ChannelError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                   permanent=500 <= exc.smtp_code < 600) from None
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                raise ChannelError(f"SMTP error: {exc}") from None
            if refused:
                raise ChannelError(f"recipients refused: {sorted(refused)}", permanent=True)
            return

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
