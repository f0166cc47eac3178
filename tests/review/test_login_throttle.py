"""Login throttling counts failures only, per name with back-off and per client, and cannot
be used to lock the office out from behind the reverse proxy."""

from __future__ import annotations

import secrets
import tracemalloc

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pipeline.models import AuditEntry
from review.app import create_app
from review.throttle import LoginThrottle
from tests.review.builders import PASSWORD
from tests.review.conftest import csrf_from

PROXY = "10.0.0.1"


class Tick:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tick() -> Tick:
    return Tick()


@pytest.fixture
def proxied_app(make_config, review_engine, db, tick) -> FastAPI:  # type: ignore[no-untyped-def]
    config = make_config(review={"trusted_proxies": [PROXY], "login_attempts_per_minute": 5,
                                 "login_attempts_per_client": 20})
    return create_app(config, engine=review_engine, login_clock=tick)


def _client(app: FastAPI, peer: str = PROXY, forwarded: str | None = None) -> TestClient:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return TestClient(app, base_url="http://127.0.0.1", client=(peer, 40000), headers=headers)


def _login(client: TestClient, name: str, password: str) -> int:
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                       follow_redirects=False).status_code


def test_failed_logins_for_one_name_do_not_lock_out_another_user(proxied_app, db):  # type: ignore[no-untyped-def]
    attacker = _client(proxied_app)
    codes = [_login(attacker, "nosuchuser", "wrong password") for _ in range(8)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3
    colleague = _client(proxied_app)
    assert _login(colleague, "ana", PASSWORD) == 303
    with db() as s:
        throttled = s.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "login_throttled"))
    assert throttled == 1, "one audit row per lock, not one per refused attempt"


def test_a_name_backs_off_longer_after_each_lock(proxied_app, tick):  # type: ignore[no-untyped-def]
    client = _client(proxied_app)
    for _ in range(5):
        assert _login(client, "ana", "wrong password") == 401
    assert _login(client, "ana", PASSWORD) == 429
    tick.now += 61
    assert _login(client, "ana", "wrong password") == 401  # a sixth failure: locked twice as long
    tick.now += 61
    assert _login(client, "ana", PASSWORD) == 429
    tick.now += 61
    assert _login(client, "ana", PASSWORD) == 303


def test_successes_are_not_counted(proxied_app):  # type: ignore[no-untyped-def]
    for _ in range(12):
        assert _login(_client(proxied_app), "ana", PASSWORD) == 303


def test_clients_behind_the_proxy_are_told_apart_by_forwarded_for(proxied_app, tick):  # type: ignore[no-untyped-def]
    noisy = _client(proxied_app, forwarded="203.0.113.5")
    codes = [_login(noisy, f"guess{i // 4}", "wrong password") for i in range(24)]
    assert 429 in codes and codes[:20] == [401] * 20, "the per-client limit is higher than the per-name one"
    assert _login(_client(proxied_app, forwarded="203.0.113.5"), "ana", PASSWORD) == 429
    assert _login(_client(proxied_app, forwarded="203.0.113.6"), "ana", PASSWORD) == 303
    # a proxy chain: the client is the right-most address the proxy did not add itself
    assert _login(_client(proxied_app, forwarded="198.51.100.1, 203.0.113.5"), "ana2", PASSWORD) == 429


def test_forwarded_for_from_an_untrusted_peer_is_ignored(proxied_app):  # type: ignore[no-untyped-def]
    noisy = _client(proxied_app, peer="198.51.100.9", forwarded="203.0.113.77")
    for i in range(24):
        _login(noisy, f"guess{i // 4}", "wrong password")
    # the spoofed address was not throttled: the peer was
    assert _login(_client(proxied_app, forwarded="203.0.113.77"), "ana", PASSWORD) == 303
    assert _login(_client(proxied_app, peer="198.51.100.9"), "ana", PASSWORD) == 429


def test_the_limiters_memory_stays_flat_over_100000_names() -> None:
    now = [0.0]
    throttle = LoginThrottle(per_name=5, per_client=30, clock=lambda: now[0], max_entries=10_000)
    tracemalloc.start()
    try:
        for i in range(10_000):
            throttle.failed(secrets.token_hex(8), f"10.1.{i % 200}.{i % 250}")
            now[0] += 0.01
        first, _ = tracemalloc.get_traced_memory()
        for i in range(90_000):
            throttle.failed(secrets.token_hex(8), f"10.1.{i % 200}.{i % 250}")
            now[0] += 0.01
        last, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(throttle) <= 2 * 10_000
    assert last - first < 1_000_000, f"grew by {last - first} bytes"
