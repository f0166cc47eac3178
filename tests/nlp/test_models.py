"""Each model trains on a small sample and beats a trivial baseline; explanations name real terms."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nlp.exceptions import LabelError, UnknownModelError
from nlp.models.base import LinearModel, features
from nlp.models.spec import bucket
from nlp.tokenize import tokenize
from nlp.train import evaluate_model, load_labelled, load_linear, train_model
from tests.nlp.conftest import read_jsonl

METRIC_KEYS = {"n", "accuracy", "precision", "recall", "f1", "macro_f1"}


def _split(records: list[dict], key: str) -> tuple[list[dict], list[dict]]:
    train = [r for r in records if bucket(str(r[key])) >= 25]
    test = [r for r in records if bucket(str(r[key])) < 25]
    return train, test


def _majority_accuracy(train: list[dict], test: list[dict], parse=str) -> float:
    top = Counter(parse(r["label"]) for r in train).most_common(1)[0][0]
    return sum(parse(r["label"]) == top for r in test) / len(test)


@pytest.mark.shared_data
def test_rumour_small_sample_beats_baseline(shared_data: Path, tmp_path: Path) -> None:
    recs = read_jsonl(shared_data / "rumour" / "train.jsonl")[::6]
    train, test = _split(recs, "cluster")  # grouped by cluster: no near-copies across the split
    card = train_model("rumour", train, tmp_path, val_records=test, keep_pipeline=False)
    m = evaluate_model("rumour", test, tmp_path)
    assert set(m) == METRIC_KEYS and m["n"] == len(test)
    assert m["macro_f1"] > 0.75
    assert m["accuracy"] > _majority_accuracy(train, test) + 0.2
    assert card.metrics["macro_f1"] == pytest.approx(m["macro_f1"])
    assert json.loads((tmp_path / "rumour.card.json").read_text())["version"] == card.version


@pytest.mark.shared_data
def test_sentiment_small_sample_beats_baseline_and_neg_pos_only_files(shared_data: Path, tmp_path: Path) -> None:
    recs = read_jsonl(shared_data / "sentiment" / "train.jsonl")[::20]
    train, test = _split(recs, "id")
    train_model("sentiment", train, tmp_path, val_records=test, keep_pipeline=False)
    from nlp.models.sentiment import parse_sentiment

    m = evaluate_model("sentiment", test, tmp_path)
    assert m["accuracy"] > _majority_accuracy(train, test, parse_sentiment) + 0.15
    polar = [r for r in test if r["label"] in ("neg", "pos")]
    m2 = evaluate_model("sentiment", polar, tmp_path)
    assert m2["n"] == len(polar) and m2["accuracy"] >= m["accuracy"] - 0.02


@pytest.mark.shared_data
def test_relevance_small_sample_beats_baseline(shared_data: Path, tmp_path: Path) -> None:
    recs = [{"text": r["text"], "label": r["family_planning"], "id": r["id"]}
            for r in read_jsonl(shared_data / "topic" / "train.jsonl")[::3]]
    train, test = _split(recs, "id")
    train_model("relevance", train, tmp_path, val_records=test, keep_pipeline=False)
    m = evaluate_model("relevance", test, tmp_path)
    assert m["f1"] > 0.7 and m["accuracy"] > _majority_accuracy(train, test) + 0.05


def _tiny_category_records() -> list[dict]:
    demand = ["请问育儿补贴什么时候发放{}", "我的奖励扶助金还没到账，希望尽快处理{}", "申请特别扶助怎么办理{}"]
    emergency = ["突发：服务站发生爆炸，多人受伤{}", "今天发生火灾事故，有人员伤亡{}", "紧急：医院突发冲突，两人受伤{}"]
    other = ["今天天气很好，出去散步{}", "晚饭吃了面条，味道不错{}", "周末去看了一场电影{}"]
    out = []
    for i in range(12):
        for label, templates in (("demand", demand), ("emergency", emergency), ("other", other)):
            out.append({"text": templates[i % 3].format(i), "label": label})
    return out


def test_category_trains_on_tiny_sample_and_explains(tmp_path: Path) -> None:
    recs = _tiny_category_records()
    card = train_model("category", recs, tmp_path, val_records=recs, keep_pipeline=True)
    assert card.metrics["accuracy"] > 0.9  # training-set fit of a separable toy problem
    model = load_linear("category", tmp_path)
    p = model.predict_proba_features([features(tokenize("补贴什么时候发放"))])[0]
    assert model.classes[int(np.argmax(p))] == "demand"


def test_linear_model_equals_sklearn_pipeline(tmp_path: Path) -> None:
    import joblib

    recs = _tiny_category_records()
    train_model("category", recs, tmp_path, val_records=recs, keep_pipeline=True)
    pipe = joblib.load(tmp_path / "category.pipeline.joblib")
    linear = LinearModel.from_state(joblib.load(tmp_path / "category.joblib"))
    texts = ["补贴没到账", "突发爆炸", "随便说说 http://t.cn/x"]
    expected = pipe.predict_proba(texts)
    got = linear.predict_proba_features([features(tokenize(t)) for t in texts])
    assert list(pipe.classes_) == linear.classes
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_extra_records_are_appended(tmp_path: Path) -> None:
    recs = _tiny_category_records()
    extra = [{"text": "狗官滚出去", "label": "abuse"}, {"text": "垃圾政府去死", "label": "abuse"}]
    card = train_model("category", recs, tmp_path, extra_records=extra, val_records=recs)
    assert card.n_extra == 2 and "abuse" in card.classes


def test_label_parsing_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "a", "label": true, "x": 1}\n{"text": "b", "label": "0"}\n\n', encoding="utf-8")
    assert [r["label"] for r in load_labelled(good, "rumour")] == ["1", "0"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": "maybe"}\n', encoding="utf-8")
    with pytest.raises(LabelError, match=r"bad.jsonl:2: expected 1/0"):
        load_labelled(bad, "relevance")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "a", "label": 1}\n{"text": \n', encoding="utf-8")
    with pytest.raises(LabelError, match=r"broken.jsonl:2: not valid JSON"):
        load_labelled(broken, "rumour")
    senti = tmp_path / "s.jsonl"
    senti.write_text('{"text": "a", "label": null}\n{"text": "b", "label": "pos"}\n', encoding="utf-8")
    assert [r["label"] for r in load_labelled(senti, "sentiment")] == ["neu", "pos"]
    with pytest.raises(UnknownModelError):
        load_labelled(senti, "stance")


def test_feature_space_fast_path_equals_sklearn_pipeline(tmp_path: Path) -> None:
    """Serving counts char n-grams as packed integers; the probabilities must match the pipeline's."""
    import joblib

    from nlp.models.space import FeatureSpace

    recs = _tiny_category_records()
    train_model("category", recs, tmp_path, val_records=recs, keep_pipeline=True)
    pipe = joblib.load(tmp_path / "category.pipeline.joblib")
    linear = LinearModel.from_state(joblib.load(tmp_path / "category.joblib"))
    texts = ["补贴没到账😭", "突發爆炸 ＡＢＣ", "随便说说 http://t.cn/x", "", "的"]
    space = FeatureSpace.from_models({"category": linear})
    reloaded = FeatureSpace.from_state(space.to_state({"category": "v"}))
    for sp_ in (space, reloaded):
        model = sp_.global_model("category")
        got = model.proba_from_tfidf(model.tfidf(sp_.counts([tokenize(t) for t in texts])))
        np.testing.assert_allclose(got, pipe.predict_proba(texts), atol=1e-4)


def test_analyzer_uses_retrained_model_and_shipped_rest(tmp_path: Path) -> None:
    from nlp import Analyzer, PostInput

    recs = _tiny_category_records()
    card = train_model("category", recs, tmp_path, val_records=recs, keep_pipeline=False)
    analyzer = Analyzer.load([], tmp_path)
    [a] = analyzer.analyze([PostInput(1, "", "请问育儿补贴什么时候发放", "s", "u", None)])
    assert card.version in a.model_version and a.model_version.startswith("relevance-")
    assert a.category == "demand"



@pytest.mark.shared_data
def test_refit_on_validation_only_with_the_default_data(shared_data: Path, tmp_path: Path) -> None:
    """The rumour card keeps the metrics of the train-only fit; the shipped fit also saw val."""
    dev = train_model("rumour", None, tmp_path / "dev", data_dir=shared_data, keep_pipeline=False,
                      bundle=False, refit_on_validation=False)
    shipped = train_model("rumour", None, tmp_path / "ship", data_dir=shared_data, keep_pipeline=False,
                          bundle=False)
    assert shipped.metrics == dev.metrics and shipped.n_train == dev.n_train + dev.n_validation
    assert shipped.params.get("refit_on_validation") and "refit" in shipped.data
    val = read_jsonl(shared_data / "rumour" / "val.jsonl")
    assert evaluate_model("rumour", val, tmp_path / "dev")["macro_f1"] == pytest.approx(dev.metrics["macro_f1"])
    assert evaluate_model("rumour", val, tmp_path / "ship")["accuracy"] > dev.metrics["accuracy"]


def test_corpus_sample_model_beats_the_keyword_net_on_held_back_items(tmp_path: Path) -> None:
    """A small relevance model trained on a sample of the annotated corpus's earlier items beats the
    office's keyword rules on later, held-back items (the corpus's time split)."""
    import yaml

    from nlp.corpus import load_items, records, time_split
    from nlp.validation_report import keyword_net_labels

    train_items, val_items = time_split(load_items())
    train = [{"text": r["text"], "label": r["label"]} for r in records("relevance", train_items)[::2]]
    held = [{"text": r["text"], "label": r["label"]} for r in records("relevance", val_items)]
    train_model("relevance", train, tmp_path, val_records=held, keep_pipeline=False, bundle=False)
    model = evaluate_model("relevance", held, tmp_path)
    topics = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.yaml").read_text("utf-8"))["topics"]
    from nlp.models import SPECS
    from nlp.train import score

    keywords = score(SPECS["relevance"], [str(r["label"]) for r in held],
                     keyword_net_labels(topics, [r["text"] for r in held]))
    assert model["f1"] > keywords["f1"] + 0.2, (model, keywords)
