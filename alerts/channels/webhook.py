"""Robot webhooks: generic JSON, WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书).

A long message is split, at line boundaries, into parts below each robot's size
limit; `send_parts` posts them in order starting where a previous attempt stopped,
so a retry never repeats a part that already went out. DingTalk and Feishu robots
with a signing secret get their timestamp + HMAC-SHA256 signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, Literal

import httpx

from alerts.exceptions import ChannelError

WebhookKind = Literal["generic", "wecom", "dingtalk", "feishu"]

# Bytes (UTF-8) of markdown per part, kept below each robot's documented limit:
# WeCom markdown content ≤ 4096 bytes; DingTalk message ≤ 20000 bytes; Feishu request ≤ 20 KB.
PART_LIMITS: dict[str, int] = {"generic": 60_000, "wecom": 3_800, "dingtalk": 15_000, "feishu": 15_000}
FEISHU_COLOURS = {"I": "red", "II": "orange", "III": "yellow", "IV": "blue"}


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-8 bytes, at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:  # one very long line: cut it by characters
            head = line
            while len(head.encode()) > limit:
                head = head[: max(1, len(head) * limit // max(len(head.encode()), 1))]
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
            line = line[len(head):]
        if len((current + line).encode()) > limit:
            parts.append(current)
            current = ""
        current += line
    if current or not parts:
        parts.append(current)
    return parts


def build_bodies(kind: str, *, title: str, markdown: str, fields: dict[str, Any] | None = None,
                 grade: str | None = None) -> list[dict[str, Any]]:
    """The JSON bodies to post, one per part, in the robot's own format."""
    header_room = len(title.encode()) + 64
    chunks = split_text(markdown, PART_LIMITS[kind] - header_room)
    total = len(chunks)
    bodies: list[dict[str, Any]] = []
    for i, chunk in enumerate(chunks, start=1):
        part_title = title if total == 1 else f"{title}（{i}/{total}）"
        text = chunk if i == 1 or total == 1 else f"（续 {i}/{total}）\n{chunk}"
        if kind == "wecom":
            bodies.append({"msgtype": "markdown", "markdown": {"content": text}})
        elif kind == "dingtalk":
            bodies.append({"msgtype": "markdown", "markdown": {"title": part_title, "text": text}})
        elif kind == "feishu":
            bodies.append({"msg_type": "interactive", "card": {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": part_title},
                           "template": FEISHU_COLOURS.get(grade or "", "blue")},
                "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": text}}],
            }})
        else:
            bodies.append({"title": part_title, "markdown": text, "part": i, "parts": total,
                           "fields": fields or {}})
    return bodies


def _dingtalk_url(url: str, secret: str, now_ms: int) -> str:
    to_sign = f"{now_ms}\n{secret}".encode()
    sign = base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={now_ms}&sign={urllib.parse.quote_plus(sign)}"


def _feishu_sign(secret: str, now_s: int) -> str:
    key = f"{now_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _check_reply(kind: str, response: httpx.Response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise ChannelError(f"webhook HTTP {response.status_code}")
    if response.status_code >= 400:
        raise ChannelError(f"webhook HTTP {response.status_code}: {response.text[:200]}", permanent=True)
    if kind == "generic":
        return
    try:
        reply = response.json()
    except ValueError:
        raise ChannelError(f"{kind} webhook answered non-JSON: {response.text[:200]!r}") from None
    code = reply.get("errcode", reply.get("code", reply.get("StatusCode", 0))) if isinstance(reply, dict) else 0
    if code not in (0, None):
        message = reply.get("errmsg") or reply.get("msg") or reply.get("StatusMessage")
        raise ChannelError(f"{kind} webhook refused the message: {code} {message}")


def send_parts(client: httpx.Client, *, kind: str, url: str, bodies: Sequence[dict[str, Any]],
               secret: str | None = None, start: int = 0,
               on_part_sent: Callable[[int], None] | None = None,
               clock: Callable[[], float] = time.time) -> int:
    """Post ``bodies[start:]`` in order; returns how many parts have gone out in total.

    On failure `ChannelError` carries ``parts_sent`` so the caller can resume from there.
    """
    sent = start
    for body in bodies[start:]:
        target = url
        payload = dict(body)
        now = clock()
        if secret and kind == "dingtalk":
            target = _dingtalk_url(url, secret, int(now * 1000))
        elif secret and kind == "feishu":
            payload = {"timestamp": str(int(now)), "sign": _feishu_sign(secret, int(now)), **payload}
        data = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if secret and kind == "generic":
            headers["X-Yuqing-Signature"] = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        try:
            response = client.post(target, content=data, headers=headers)
            _check_reply(kind, response)
        except httpx.HTTPError as exc:
            raise ChannelError(f"{kind} webhook unreachable: {type(exc).__name__}: {exc}",
                               parts_sent=sent) from None
        except ChannelError as exc:
            exc.parts_sent = sent
            raise
        sent += 1
        if on_part_sent is not None:
            on_part_sent(sent)
    return sent
