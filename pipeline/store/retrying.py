"""Retry a short write transaction that SQLite refused because another writer held the lock.

SQLite's busy timeout does not help a deferred transaction that read first and then wants
to write while another connection writes (it fails at once with "database is locked"), which
happens when crawl processes and threads store at the same moment. The whole transaction is
run again after a short, growing pause. PostgreSQL never raises this.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import transaction

log = logging.getLogger(__name__)
T = TypeVar("T")


def _locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


def in_transaction(sessions: sessionmaker[Session], work: Callable[[Session], T], *, attempts: int = 10,
                   pause_s: float = 0.05) -> T:
    """Run ``work(session)`` in a transaction, again if SQLite reports the database locked."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(sessions) as session:
                return work(session)
        except OperationalError as exc:
            if not _locked(exc) or attempt == attempts:
                raise
            wait = pause_s * 2 ** (attempt - 1) * (0.5 + random.random())
            log.info("database locked; retrying the transaction", extra={"attempt": attempt, "wait_s": wait})
            time.sleep(wait)
    raise AssertionError("unreachable")
