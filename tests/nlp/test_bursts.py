from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from nlp.bursts import burst_from_counts, detect_burst, detect_bursts, poisson_sf

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _series(rate_per_hour: float, hours: int, rng: random.Random, start: datetime) -> list[datetime]:
    times = []
    t = start
    end = start + timedelta(hours=hours)
    while True:
        t += timedelta(hours=rng.expovariate(rate_per_hour))
        if t >= end:
            return times
        times.append(t)


def test_poisson_sf_matches_direct_sum() -> None:
    lam = 3.0
    direct = 1 - sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(7))
    assert poisson_sf(7, lam) == pytest.approx(direct, rel=1e-9)
    assert poisson_sf(0, lam) == 1.0
    assert poisson_sf(400, 2.0) < 1e-300 or poisson_sf(400, 2.0) == 0.0


def test_synthetic_burst_with_fake_clock() -> None:
    rng = random.Random(42)
    baseline = _series(2.0, 48, rng, T0)  # ~2 posts/hour for two days
    now = T0 + timedelta(hours=48)
    quiet = detect_burst(baseline, now)
    assert not quiet.is_burst
    spike = [now - timedelta(minutes=m) for m in range(1, 60, 3)]  # 20 posts in the last hour
    burst = detect_burst(baseline + spike, now)
    assert burst.is_burst and burst.observed >= 20 and burst.z > 5
    # an hour later with no new posts, the burst is over (clock moved, nothing slept)
    assert not detect_burst(baseline + spike, now + timedelta(hours=1)).is_burst


def test_steady_high_volume_is_not_a_burst() -> None:
    rng = random.Random(1)
    busy = _series(30.0, 48, rng, T0)
    assert not detect_burst(busy, T0 + timedelta(hours=48)).is_burst


def test_new_series_needs_min_count() -> None:
    assert not burst_from_counts(3, 0, timedelta(hours=1), timedelta(hours=24)).is_burst
    assert burst_from_counts(8, 0, timedelta(hours=1), timedelta(hours=24)).is_burst


def test_detect_bursts_per_key() -> None:
    now = T0 + timedelta(days=1)
    series = {
        "E1": [now - timedelta(minutes=i) for i in range(30)],
        "fertility-policy": [T0 + timedelta(hours=h) for h in range(24)],
    }
    assert set(detect_bursts(series, now)) == {"E1"}
