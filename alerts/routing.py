"""Who gets an alert: the designated monitor (专人负责) of its topic, and that monitor's supervisor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.config import MonitorConfig


@dataclass(frozen=True)
class Route:
    monitor: MonitorConfig | None
    supervisor: MonitorConfig | None
    supervisor_name: str | None


def find_monitor(monitors: Sequence[MonitorConfig], name: str | None) -> MonitorConfig | None:
    for monitor in monitors:
        if name is not None and monitor.name == name:
            return monitor
    return None


def route(monitors: Sequence[MonitorConfig], topics: Sequence[str] | frozenset[str]) -> Route:
    """The monitor for an event's topics: one who names a topic wins over one with empty topics
    (who watches everything); config order breaks ties. No monitors: nobody."""
    chosen: MonitorConfig | None = None
    for monitor in monitors:
        if monitor.topics and any(t in monitor.topics for t in topics):
            chosen = monitor
            break
    if chosen is None:
        chosen = next((m for m in monitors if not m.topics), None)
    if chosen is None:
        return Route(None, None, None)
    return Route(chosen, find_monitor(monitors, chosen.supervisor), chosen.supervisor)
