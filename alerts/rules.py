"""Which events raise an alert: the rules of ``alerts.rules`` in config (first match wins).

Every condition a rule gives must hold. Rules see `EventFacts` and the event's grade
(for ``min_grade``); they never touch the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from alerts.grades import Grade
from alerts.grading import EventFacts

if TYPE_CHECKING:
    from pipeline.config import AlertRuleConfig


def rule_matches(rule: AlertRuleConfig, facts: EventFacts, grade: Grade) -> bool:
    """True when ``facts`` meet every condition of ``rule``."""
    if rule.topics and not facts.topics.intersection(rule.topics):
        return False
    if rule.categories and facts.category not in rule.categories:
        return False
    if facts.relevance < rule.min_relevance:
        return False
    if rule.min_rumour is not None and facts.rumour < rule.min_rumour:
        return False
    if rule.min_negative is not None and facts.negative_share < rule.min_negative:
        return False
    if rule.min_heat is not None and facts.heat < rule.min_heat:
        return False
    if facts.post_count < rule.min_posts or facts.source_count < rule.min_sources:
        return False
    if rule.burst and not facts.burst:
        return False
    return not (rule.min_grade is not None and rule.min_grade.more_severe_than(grade))


def first_matching_rule(rules: Sequence[AlertRuleConfig], facts: EventFacts,
                        grade: Grade) -> AlertRuleConfig | None:
    """The first rule the event meets, or None: then the event raises nothing."""
    for rule in rules:
        if rule_matches(rule, facts, grade):
            return rule
    return None
