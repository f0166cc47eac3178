"""The annotated corpus's validation split shares no item with anything the models train on."""

from __future__ import annotations

import pytest

from nlp.corpus import load_items, near_dup_key, records, time_split, written_examples
from nlp.models.spec import hand_written


@pytest.mark.parametrize("model", ["relevance", "category", "sentiment"])
def test_no_validation_item_is_in_the_training_data(model: str) -> None:
    train, val = time_split(load_items())
    held = {near_dup_key(r["text"]) for r in records(model, val)}
    assert held
    trained = {near_dup_key(r["text"]) for r in records(model, train)}
    trained |= {near_dup_key(r["text"]) for r in written_examples(model)}
    trained |= {near_dup_key(r["text"]) for r in hand_written(model)}
    assert not held & trained


def test_the_split_is_by_time_and_keeps_near_duplicates_on_one_side() -> None:
    items = load_items()
    train, val = time_split(items)
    assert len(train) + len(val) == len(items)
    latest_train_title = max(i["first_seen"] for i in train if i["kind"] == "title")
    assert all(i["first_seen"] >= latest_train_title for i in val if i["kind"] == "title")
    assert not {i["near_dup"] for i in train} & {i["near_dup"] for i in val}
