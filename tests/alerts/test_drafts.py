from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.drafts import PENDING_MARK, DraftContext, render_draft, template_name
from alerts.exceptions import TemplateError
from nlp.categories import Category

CONTEXT = DraftContext(
    category="rumour", title="网传二孩罚款10万", topic="fertility-policy", topic_label="生育政策",
    claim="新规：生二孩罚款10万元", first_seen=datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
    last_seen=datetime(2026, 3, 5, 4, 30, tzinfo=UTC), sources=("city-news", "tieba"), post_count=12,
    source_count=2,
)


@pytest.mark.parametrize("category", [c.value for c in Category])
def test_every_category_has_a_chinese_template_with_places_to_verify(category: str) -> None:
    text = render_draft(category, CONTEXT)
    assert PENDING_MARK in text
    assert "网传二孩罚款10万" in text and "生育政策" in text
    assert "2026年3月5日10:00" in text  # first seen, in the office's time zone
    assert "12条" in text and "city-news" in text


def test_rumour_template_states_the_claim_and_refutes_it() -> None:
    text = render_draft("rumour", CONTEXT)
    assert "新规：生二孩罚款10万元" in text and "不实" in text and "事实" in text


def test_unknown_category_uses_the_generic_template() -> None:
    assert template_name("no-such") == "other.j2"
    assert PENDING_MARK in render_draft("no-such", CONTEXT)


def test_templates_dir_overrides_one_file(tmp_path: Path) -> None:
    (tmp_path / "rumour.j2").write_text("辟谣：{{ c.claim }} {{ pending('文号') }}", encoding="utf-8")
    assert render_draft("rumour", CONTEXT, tmp_path) == "辟谣：新规：生二孩罚款10万元 【待核实：文号】\n"
    assert "情况通报" in render_draft("emergency", CONTEXT, tmp_path)  # the others stay shipped


def test_broken_override_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "demand.j2").write_text("{{ c.nope }}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"demand\.j2"):
        render_draft("demand", CONTEXT, tmp_path)
    (tmp_path / "abuse.j2").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"abuse\.j2"):
        render_draft("abuse", CONTEXT, tmp_path)
