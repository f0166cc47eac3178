"""Every list of alerts a person reads puts the most urgent first: overdue, then least time left, then grade."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pipeline.store.alert_views import list_alerts
from pipeline.store.dashboard import open_alerts
from tests.review.builders import NOW, add_alert, add_event


@pytest.fixture
def alerts(db):  # type: ignore[no-untyped-def]
    """Alert ids by name, in the order a monitor on duty must see them."""
    with db() as s, s.begin():
        def alert(name: str, grade: str, minutes_left: int, status: str = "new") -> tuple[str, int]:
            event = add_event(s, title=f"事件{name}")
            return name, add_alert(s, event, grade=grade, status=status,
                                   due_at=NOW + timedelta(minutes=minutes_left)).id
        # created in an order that is none of the expected ones
        made = dict([alert("ack", "I", 5, "acknowledged"), alert("later", "III", 120), alert("ii-59", "II", 59),
                     alert("closed", "I", -300, "closed"), alert("i-59", "I", 59), alert("overdue", "IV", -10)])
    return made


URGENT = ["overdue", "i-59", "ii-59", "later", "ack"]


def _order(html: str, ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    seen = [int(m) for m in re.findall(r'href="/alerts/(\d+)"', html)]
    return [by_id[i] for i in dict.fromkeys(seen) if i in by_id]


def test_the_store_lists_sort_most_urgent_first(alerts, db):  # type: ignore[no-untyped-def]
    with db() as s:
        assert [a.id for a in list_alerts(s, "open")] == [alerts[n] for n in URGENT]
        assert [a.id for a in list_alerts(s, "all")] == [alerts[n] for n in [*URGENT, "closed"]]
        assert [a.id for a in open_alerts(s)] == [alerts[n] for n in URGENT]


def test_the_alert_page_the_dashboard_and_the_api_agree(alerts, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("mon")
    assert _order(client.get("/alerts").text, alerts) == URGENT
    assert _order(client.get("/alerts?status=all").text, alerts) == [*URGENT, "closed"]
    assert _order(client.get("/dashboard").text, alerts) == URGENT
    assert [a["id"] for a in client.get("/api/alerts").json()] == [alerts[n] for n in URGENT]
