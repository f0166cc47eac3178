"""Burst detection: a recent window against the series' own baseline (pure functions, no clock).

For an event or a topic, count posts in the recent ``window`` (e.g. the last hour) and estimate the
expected count from the preceding ``baseline`` period (e.g. the 24 hours before it), scaled to the
window length, with a floor so a brand-new series is not infinitely surprising. Under a Poisson model
with that mean, the burst's ``p_value`` is P(X ≥ observed); ``z`` is (observed − expected) / √expected.
A burst needs ``observed ≥ min_count``, ``observed ≥ min_ratio × expected`` and ``p_value ≤ alpha``.

Callers pass ``now`` explicitly (tests use a fake clock; nothing here sleeps or reads the time).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Burst:
    is_burst: bool
    observed: int
    expected: float
    ratio: float
    z: float
    p_value: float


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), computed in log space (stable for large k)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    # P(X >= k) = 1 - P(X <= k-1); sum the smaller tail directly when k is far above the mean.
    if k > lam:
        log_term = -lam + k * math.log(lam) - math.lgamma(k + 1)
        total, term, i = 0.0, 1.0, k
        while term > 1e-17 * max(total, 1e-300) and i < k + 10_000:
            total += term
            i += 1
            term *= lam / i
        return min(1.0, math.exp(log_term + math.log(total)))
    cdf, term = 0.0, math.exp(-lam)
    for i in range(k):
        cdf += term
        term *= lam / (i + 1)
    return max(0.0, 1.0 - cdf)


def burst_from_counts(
    recent: int,
    baseline: int,
    window: timedelta,
    baseline_span: timedelta,
    *,
    min_count: int = 5,
    min_ratio: float = 3.0,
    alpha: float = 1e-3,
    floor: float = 0.5,
) -> Burst:
    """Decide from counts: ``recent`` posts in ``window``, ``baseline`` posts in ``baseline_span`` before."""
    expected = max(baseline * (window / baseline_span), floor)
    p = poisson_sf(recent, expected)
    ratio = recent / expected
    z = (recent - expected) / math.sqrt(expected)
    return Burst(recent >= min_count and ratio >= min_ratio and p <= alpha, recent, expected, ratio, z, p)


def detect_burst(
    times: Iterable[datetime],
    now: datetime,
    window: timedelta = timedelta(hours=1),
    baseline: timedelta = timedelta(hours=24),
    **kwargs: float,
) -> Burst:
    """Burst test for one series of post times: ``(now − window, now]`` vs the ``baseline`` before it."""
    start = now - window
    base_start = start - baseline
    recent = base = 0
    for t in times:
        if start < t <= now:
            recent += 1
        elif base_start < t <= start:
            base += 1
    return burst_from_counts(recent, base, window, baseline, **kwargs)  # type: ignore[arg-type]


def detect_bursts(
    series: Mapping[Hashable, Iterable[datetime]],
    now: datetime,
    window: timedelta = timedelta(hours=1),
    baseline: timedelta = timedelta(hours=24),
    **kwargs: float,
) -> dict[Hashable, Burst]:
    """:func:`detect_burst` for every key (an event key or a topic name); returns only the bursts."""
    out = {}
    for key, times in series.items():
        b = detect_burst(times, now, window, baseline, **kwargs)
        if b.is_burst:
            out[key] = b
    return out
