"""Login throttling that cannot lock the office out: failures only, per name and per client.

* Per name: after ``per_name`` failures in a row the name waits a minute, and twice as
  long after each further failure (at most `MAX_LOCK_S`); a successful login clears it.
* Per client address: at most ``per_client`` failures a minute (set higher than per name,
  since colleagues behind one NAT share an address).
* Bounded memory: entries expire (`FORGET_AFTER_S` after their last failure or lock) and
  each table keeps at most ``max_entries``, dropping the least recently failed.

In memory, per process: enough for one `yuqing serve`. ``clock`` is injectable so tests
never sleep.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60.0
MAX_LOCK_S = 3600.0
FORGET_AFTER_S = 3600.0


@dataclass
class _Entry:
    failures: int = 0  # per name: in a row; per client: in the current window
    window_start: float = 0.0
    locked_until: float = 0.0
    last: float = 0.0
    audited: bool = False  # the current lock has its one audit row


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused: the key that is locked, for how long, and whether
    this is the first refused attempt of this lock (the one to audit)."""

    key: str
    wait_s: float
    first: bool


class _Table:
    """Entries by key, least recently touched first; expired and surplus entries dropped."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, key: str, now: float) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is not None and now - max(entry.last, entry.locked_until) >= FORGET_AFTER_S:
            del self.entries[key]
            return None
        return entry

    def touch(self, key: str, now: float) -> _Entry:
        entry = self.get(key, now)
        if entry is None:
            entry = self.entries[key] = _Entry(window_start=now)
        self.entries.move_to_end(key)
        entry.last = now
        self._prune(now)
        return entry

    def _prune(self, now: float) -> None:
        while self.entries:
            key, oldest = next(iter(self.entries.items()))
            expired = now - max(oldest.last, oldest.locked_until) >= FORGET_AFTER_S
            if not expired and len(self.entries) <= self.max_entries:
                break
            del self.entries[key]


class LoginThrottle:
    def __init__(self, per_name: int, per_client: int, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self.per_name = per_name
        self.per_client = per_client
        self.clock = clock
        self._names = _Table(max_entries)
        self._clients = _Table(max_entries)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._names.entries) + len(self._clients.entries)

    def check(self, name: str, client: str) -> Refusal | None:
        """None if ``name`` may try to log in from ``client`` now, else why not."""
        now = self.clock()
        with self._lock:
            for key, entry in ((f"client:{client}", self._clients.get(client, now)),
                               (f"user:{name}", self._names.get(name, now))):
                if entry is not None and entry.locked_until > now:
                    first, entry.audited = not entry.audited, True
                    return Refusal(key, entry.locked_until - now, first)
        return None

    def failed(self, name: str, client: str) -> None:
        """Count a failed login of ``name`` from ``client``."""
        now = self.clock()
        with self._lock:
            user = self._names.touch(name, now)
            user.failures += 1
            if user.failures >= self.per_name:
                user.locked_until = now + min(MAX_LOCK_S, WINDOW_S * 2 ** (user.failures - self.per_name))
                user.audited = False
            peer = self._clients.touch(client, now)
            if now - peer.window_start >= WINDOW_S:
                peer.window_start, peer.failures = now, 0
            peer.failures += 1
            if peer.failures >= self.per_client:
                peer.locked_until = peer.window_start + WINDOW_S
                peer.audited = False

    def succeeded(self, name: str) -> None:
        """A correct password: the name's failures are forgiven."""
        with self._lock:
            self._names.entries.pop(name, None)
