"""Robot formats and splitting, posted to a real local HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

import httpx
import pytest

from alerts.channels.webhook import PART_LIMITS, build_bodies, send_parts, split_text
from alerts.exceptions import ChannelError
from alerts.messages import md_escape
from tests.alerts.seeding import webhook_server

LONG = "\n".join(f"- 第{i}条：网传二孩罚款十万元，请核实。" * 3 for i in range(400))


@pytest.mark.parametrize("kind", ["generic", "wecom", "dingtalk", "feishu"])
def test_a_long_message_is_split_below_each_limit_and_arrives_in_order(kind: str) -> None:
    bodies = build_bodies(kind, title="【舆情预警·II级 重大】网传罚款", markdown=LONG, fields={"grade": "II"},
                          grade="II")
    assert len(bodies) > (1 if kind != "generic" else 0)
    with webhook_server() as (url, log), httpx.Client(timeout=5) as client:
        assert send_parts(client, kind=kind, url=url + "/hook", bodies=bodies) == len(bodies)
    received = log.bodies()
    assert received == bodies
    for body in received:
        size = len(json.dumps(body, ensure_ascii=False).encode())
        if kind == "wecom":
            assert body["msgtype"] == "markdown" and len(body["markdown"]["content"].encode()) <= 4096
        elif kind == "dingtalk":
            assert body["msgtype"] == "markdown" and body["markdown"]["title"] and size <= 20000
        elif kind == "feishu":
            assert body["msg_type"] == "interactive" and size <= 20 * 1024
            assert body["card"]["header"]["template"] == "orange"
        else:
            assert body["fields"] == {"grade": "II"} and size <= PART_LIMITS["generic"] + 1024
    text_of = {"wecom": lambda b: b["markdown"]["content"], "dingtalk": lambda b: b["markdown"]["text"],
               "feishu": lambda b: b["card"]["elements"][0]["text"]["content"], "generic": lambda b: b["markdown"]}
    joined = "".join(text_of[kind](b).split("\n", 1)[1] if i else text_of[kind](b) for i, b in enumerate(received))
    assert joined.count("网传二孩罚款十万元") == LONG.count("网传二孩罚款十万元")  # nothing lost


def test_split_text_cuts_one_huge_line_by_bytes() -> None:
    parts = split_text("汉" * 5000, 1000)
    assert all(len(p.encode()) <= 1000 for p in parts) and "".join(parts) == "汉" * 5000


def test_dingtalk_and_feishu_signatures() -> None:
    bodies = build_bodies("dingtalk", title="t", markdown="m")
    with webhook_server() as (url, log), httpx.Client(timeout=5) as client:
        send_parts(client, kind="dingtalk", url=url + "/robot/send?access_token=abc", bodies=bodies,
                   secret="SECxyz", clock=lambda: 1700000000.0)
        send_parts(client, kind="feishu", url=url + "/hook", bodies=build_bodies("feishu", title="t", markdown="m"),
                   secret="fs", clock=lambda: 1700000000.0)
        send_parts(client, kind="generic", url=url + "/g", bodies=[{"a": 1}], secret="gs")
    (path, _, _), (_, _, feishu), (_, headers, generic) = log.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    expected = base64.b64encode(hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()).decode()
    assert query["access_token"] == ["abc"] and query["timestamp"] == ["1700000000000"]
    assert query["sign"] == [expected]
    assert feishu["timestamp"] == "1700000000"
    assert feishu["sign"] == base64.b64encode(hmac.new(b"1700000000\nfs", b"", hashlib.sha256).digest()).decode()
    raw = json.dumps(generic, ensure_ascii=False).encode()
    assert headers["X-Yuqing-Signature"] == "sha256=" + hmac.new(b"gs", raw, hashlib.sha256).hexdigest()


def test_a_refusal_reports_how_many_parts_went_out_and_a_retry_resumes_there() -> None:
    bodies = build_bodies("wecom", title="t", markdown=LONG)
    with webhook_server() as (url, log), httpx.Client(timeout=5) as client:
        log.replies = [(200, {"errcode": 0})] * 2 + [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]
        with pytest.raises(ChannelError) as failure:
            send_parts(client, kind="wecom", url=url, bodies=bodies)
        assert failure.value.parts_sent == 2 and not failure.value.permanent
        assert send_parts(client, kind="wecom", url=url, bodies=bodies, start=2) == len(bodies)
        log.replies = [(404, {"error": "no such hook"})]
        with pytest.raises(ChannelError) as gone:
            send_parts(client, kind="wecom", url=url, bodies=bodies[:1])
        assert gone.value.permanent
    assert log.bodies() == bodies  # each part exactly once


def test_unreachable_webhook_is_a_transient_error() -> None:
    from tests.alerts.seeding import free_port

    with httpx.Client(timeout=2) as client, pytest.raises(ChannelError) as failure:
        send_parts(client, kind="generic", url=f"http://127.0.0.1:{free_port()}/", bodies=[{"a": 1}])
    assert not failure.value.permanent and failure.value.parts_sent == 0


def test_crawled_text_cannot_inject_markdown() -> None:
    hostile = "[点我](http://evil.example) **粗体** <font color=red>x</font>\n# 标题"
    safe = md_escape(hostile)
    for bad in ("[", "](", "**", "<font", "\n", "#"):
        assert bad not in safe
