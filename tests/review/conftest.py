"""Fixtures for the review app: a migrated SQLite database, the app, and logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import make_engine, session_factory
from tests.conftest import FakeClock
from tests.review.builders import NOW, PASSWORD, add_users

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def review_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(review_engine: Engine) -> sessionmaker[Session]:
    """A session factory on the app's database, with the standard users in it."""
    factory = session_factory(review_engine)
    with factory() as session, session.begin():
        add_users(session)
    return factory


@pytest.fixture
def review_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def app(make_config, review_engine: Engine, db: sessionmaker[Session], review_clock: FakeClock) -> FastAPI:  # type: ignore[no-untyped-def]
    from review.app import create_app

    config = make_config(topics=[{"name": "fertility", "label": "生育政策", "expression": "生育 OR 补贴"}])
    return create_app(config, engine=review_engine, clock=review_clock)


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the form; returns the session's CSRF token."""
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                           "next": "/inbox"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(client.get("/api/me").json()["csrf_token"])


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[Callable[[str | None], tuple[TestClient, str]]]:
    """``client_for("ana")`` → (a client logged in as ana, its CSRF token); None: anonymous."""
    clients: list[TestClient] = []

    def make(name: str | None) -> tuple[TestClient, str]:
        client = TestClient(app, base_url="http://127.0.0.1")
        client.__enter__()
        clients.append(client)
        return client, (log_in(client, name) if name else "")

    yield make
    for client in clients:
        client.__exit__(None, None, None)
