"""Distributed crawls: several crawl processes share one source's queue on Redis.

Workers of a source join a *shared run* (FIELD-NOTES): the first to arrive names the run,
later ones join it; the request queue and duplicate filter are keyed by that run, so a page
is fetched once per run, and the next run starts with an empty filter (the database then
skips what is already stored). The last worker to leave deletes the run's keys. Seeds are
scheduled without ``dont_filter`` and an idle worker stays open until the shared queue has
been empty for ``idle_grace`` seconds, so no worker quits while others still add requests.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

log = logging.getLogger(__name__)

PREFIX = "yuqing:crawl"

_JOIN = """
local id = redis.call('GET', KEYS[1])
if not id then
  id = ARGV[1]
  redis.call('SET', KEYS[1], id, 'EX', ARGV[2])
end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return id
"""

_LEAVE = """
local n = redis.call('DECR', KEYS[2])
if n <= 0 then
  local id = redis.call('GET', KEYS[1])
  redis.call('DEL', KEYS[1], KEYS[2])
  if id then
    redis.call('DEL', ARGV[1] .. ':' .. id .. ':requests', ARGV[1] .. ':' .. id .. ':dupefilter')
  end
end
return n
"""


@dataclass
class SharedRun:
    """One worker's membership of a source's shared run on Redis."""

    redis_url: str
    source: str
    ttl_seconds: int
    run_id: str | None = None

    @property
    def base(self) -> str:
        return f"{PREFIX}:{self.source}"

    @property
    def queue_key(self) -> str:
        return f"{self.base}:{self.run_id}:requests"

    @property
    def dupefilter_key(self) -> str:
        return f"{self.base}:{self.run_id}:dupefilter"

    def _client(self) -> Any:
        return redis.Redis.from_url(self.redis_url, socket_timeout=10, socket_connect_timeout=5)

    def join(self) -> str:
        client = self._client()
        try:
            new_id = f"{int(time.time())}-{uuid.uuid4().hex[:8]}"
            found = client.eval(_JOIN, 2, f"{self.base}:run", f"{self.base}:workers", new_id, self.ttl_seconds)
        finally:
            client.close()
        self.run_id = found.decode() if isinstance(found, bytes) else str(found)
        log.info("joined shared crawl run", extra={"source": self.source, "run": self.run_id})
        return self.run_id

    def leave(self) -> None:
        if self.run_id is None:
            return
        client = self._client()
        try:
            left = client.eval(_LEAVE, 2, f"{self.base}:run", f"{self.base}:workers", self.base)
        finally:
            client.close()
        log.info("left shared crawl run", extra={"source": self.source, "run": self.run_id, "workers_left": left})


def scheduler_settings(run: SharedRun) -> dict[str, Any]:
    """Scrapy settings for scrapy-redis with this run's keys."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # other workers still use the queue; the last one leaving deletes it
        "SCHEDULER_QUEUE_KEY": run.queue_key,
        "SCHEDULER_DUPEFILTER_KEY": run.dupefilter_key,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "REDIS_URL": run.redis_url,
    }


class IdleGuard:
    """Keeps a worker open while the shared queue has work, or had some within ``grace`` s."""

    def __init__(self, redis_url: str, queue_key: str, grace: float) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_timeout=10)
        self.queue_key = queue_key
        self.grace = grace
        self.empty_since: float | None = None

    def should_stay_open(self) -> bool:
        pending = int(self.client.zcard(self.queue_key))
        now = time.monotonic()
        if pending:
            self.empty_since = None
            return True
        if self.empty_since is None:
            self.empty_since = now
        return now - self.empty_since < self.grace

    def close(self) -> None:
        self.client.close()
