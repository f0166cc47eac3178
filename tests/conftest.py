"""Shared fixtures: databases (SQLite and PostgreSQL), configs, a fake clock.

PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) is used when it answers;
tests that need it are skipped with the reason otherwise, except under CI (CI=true),
where an unreachable PostgreSQL or Redis is a failure: CI must run those tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config, default_config
from pipeline.db import make_engine, session_factory
from pipeline.migrate import upgrade
from pipeline.models import Base
from pipeline.scheduler import JOBS_TABLE

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PG_ADMIN_URL = os.environ.get("YUQING_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("YUQING_TEST_REDIS", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots", metavar="DIR", type=Path, default=None,
                     help="write the review app's screenshots to DIR (docs/screenshots to refresh the README's); "
                          "by default they go to a temporary folder")


def _unavailable(what: str, reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required under CI but unavailable: {reason}")
    pytest.skip(f"{what} unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Create a scratch PostgreSQL database for this test session; yields its URL."""
    name = f"yuqing_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (OperationalError, DBAPIError) as exc:
        _unavailable("PostgreSQL at 127.0.0.1:5432", str(exc).splitlines()[0])
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_migrated(pg_server: str) -> str:
    engine = make_engine(pg_server)
    upgrade(engine)
    engine.dispose()
    return pg_server


def _truncate(engine: Engine) -> None:
    """Empty every table, APScheduler's job table too (a shared test database keeps it)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if inspect(engine).has_table(JOBS_TABLE):
        tables.append(JOBS_TABLE)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def pg_factory(pg_migrated: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on an emptied PostgreSQL database, for tests of what only PostgreSQL does."""
    engine = make_engine(pg_migrated)
    _truncate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        sqlite: str = request.getfixturevalue("sqlite_url")
        return sqlite
    url: str = request.getfixturevalue("pg_migrated")
    engine = make_engine(url)
    _truncate(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'yuqing.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session


@pytest.fixture
def make_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a validated `Config` rooted in tmp_path from keyword overrides."""

    def build(**overrides: object) -> Config:
        return default_config(tmp_path, **overrides)

    return build


class FakeClock:
    """A clock tests move by hand: ``clock.now()``, ``clock.advance(minutes=5)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 5, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    __call__ = now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
