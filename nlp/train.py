"""Train, save, load and evaluate the classifiers; model cards.

Files in a models directory, per model ``NAME``:

- ``NAME.joblib``: the model as plain arrays (:class:`~nlp.models.base.LinearModel`: vocabulary,
  idf, coefficients), what :mod:`nlp.analyze` and :func:`evaluate_model` use; loads without
  scikit-learn (fast cold start),
- ``NAME.pipeline.joblib``: the fitted scikit-learn ``Pipeline`` it was compiled from (not shipped
  with the default models, to keep the package small; ``keep_pipeline=False``),
- ``NAME.card.json``: the :class:`ModelCard`.

A card's metrics are always those of a fit that never saw the validation data. Models whose spec
sets ``refit_on_validation`` (rumour, relevance, sentiment: their learning curves are still steep)
are then fitted again on train + validation for shipping; ``refit_on_validation=False``
(``python -m nlp.build_models --dev``) keeps the train-only fit, for development numbers.

Metrics (:func:`evaluate_model`) are exactly ``n, accuracy, precision, recall, f1, macro_f1``. For
the binary models precision/recall/f1 are those of the positive class (label 1). For sentiment and
category they are macro averages over the classes present in the file's labels; a sentiment file
with only neg and pos labels is scored on those two (the neu probability is ignored).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nlp.exceptions import LabelError, ModelNotFoundError, UnknownModelError
from nlp.models import SPECS
from nlp.models.base import LinearModel, build_pipeline, features
from nlp.models.space import FeatureSpace
from nlp.models.spec import ModelSpec, Record, bucket
from nlp.tokenize import RESOURCES, tokenize

log = logging.getLogger(__name__)

DEFAULT_MODELS_DIR = RESOURCES / "models"
BUNDLE = "serving.joblib"
SEED = 0
CUSTOM_HOLDOUT_PERCENT = 10


@dataclass
class ModelCard:
    name: str
    version: str
    created: str
    data: str
    n_train: int
    n_extra: int
    n_validation: int
    params: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    intervals: dict[str, list[float]] = field(default_factory=dict)  # bootstrap 95 % of the metrics
    # the same validation file scored by other predictors: the keyword net, the model this one replaced
    comparisons: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def spec_for(name: str) -> ModelSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise UnknownModelError(f"unknown model {name!r}; choose one of {', '.join(SPECS)}") from None


def _parse_one(spec: ModelSpec, rec: Any, where: str) -> Record:
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        raise LabelError(f"{where}: expected an object with a string 'text'")
    if "label" not in rec:
        raise LabelError(f"{where}: missing 'label'")
    try:
        return {"text": rec["text"], "label": spec.parse_label(rec["label"])}
    except ValueError as exc:
        raise LabelError(f"{where}: {exc}") from None


def parse_records(name: str, records: Iterable[Record], origin: str = "record") -> list[Record]:
    """``{"text", "label"}`` dicts with labels parsed for ``name``; extra fields are dropped."""
    spec = spec_for(name)
    return [_parse_one(spec, rec, f"{origin} {i}") for i, rec in enumerate(records, 1)]


def load_labelled(path: Path, name: str) -> list[Record]:
    """Read a labelled JSONL file for model ``name``; bad lines raise :class:`LabelError` with the line number."""
    spec = spec_for(name)
    out: list[Record] = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            out.append(_parse_one(spec, rec, f"{path}:{lineno}"))
    return out


def _version(name: str, records: Sequence[Record], params: dict[str, Any]) -> str:
    h = hashlib.sha1(json.dumps(params, sort_keys=True).encode())
    for r in records:
        h.update(r["text"].encode("utf-8"))
        h.update(r["label"].encode())
    return f"{name}-{h.hexdigest()[:10]}"


def train_model(
    name: str,
    records: Iterable[Record] | None,
    out_dir: Path,
    *,
    extra_records: Iterable[Record] = (),
    val_records: Iterable[Record] | None = None,
    data_dir: Path | None = None,
    seed: int = SEED,
    keep_pipeline: bool = True,
    bundle: bool = True,
    refit_on_validation: bool = True,
) -> ModelCard:
    """Fit model ``name`` and save it with its card in ``out_dir``.

    ``records=None`` uses the default training and validation data under ``data_dir``
    (../shared/data layout). ``extra_records`` (e.g. analysts' labels, ``{"text", "label"}``) are
    appended to the training data. Without ``val_records``, custom records get a stable 10 % holdout.
    With the default data, a spec with ``refit_on_validation`` ships a model refit on train +
    validation (the card's metrics stay those of the train-only fit); ``refit_on_validation=False``
    ships the train-only fit, the one those metrics describe (``nlp.build_models --dev``).
    """
    spec = spec_for(name)
    if records is None:
        if data_dir is None and spec.needs_shared_data:
            raise ValueError("records=None needs data_dir (the shared training data)")
        base, val, desc = spec.default_data(Path(data_dir or "."))
        train = parse_records(name, base)
        val_parsed = parse_records(name, val_records if val_records is not None else val)
    else:
        train = parse_records(name, records)
        desc = "records passed to train_model"
        if val_records is not None:
            val_parsed = parse_records(name, val_records)
        else:
            val_parsed = [r for r in train if bucket(r["text"]) < CUSTOM_HOLDOUT_PERCENT]
            train = [r for r in train if bucket(r["text"]) >= CUSTOM_HOLDOUT_PERCENT]
            desc += f" (md5 {CUSTOM_HOLDOUT_PERCENT}% holdout for validation)"
    extra = parse_records(name, extra_records, origin="extra record")
    train = train + extra
    if len({r["label"] for r in train}) < 2:
        raise LabelError(f"{name}: training data needs at least two different labels")

    params = _params(spec, seed)
    pipe = _fit(spec, train, seed)
    metrics = _metrics(spec, val_parsed, _linear(pipe)) if val_parsed else {}
    intervals = (bootstrap_intervals(spec, [r["label"] for r in val_parsed],
                                     predict_labels(spec, val_parsed, _linear(pipe))) if val_parsed else {})
    refit = records is None and spec.refit_on_validation and refit_on_validation and bool(val_parsed)
    if refit:  # the metrics above are the train-only fit's; ship the fit on train + validation
        train = train + val_parsed
        pipe = _fit(spec, train, seed)
        desc += "; the shipped model is refit on train + validation after taking the metrics"
        params["refit_on_validation"] = True
    classes = [str(c) for c in pipe.named_steps["clf"].classes_]
    linear = _linear(pipe)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    import joblib

    if keep_pipeline:
        joblib.dump(pipe, out_dir / f"{name}.pipeline.joblib", compress=3)
    joblib.dump(linear.to_state(), out_dir / f"{name}.joblib", compress=1)
    card = ModelCard(
        name=name, version=_version(name, train, params), created=datetime.now(UTC).isoformat(timespec="seconds"),
        data=desc + (f"; plus {len(extra)} extra labelled records" if extra else ""),
        n_train=len(train), n_extra=len(extra), n_validation=len(val_parsed), params=params,
        metrics=metrics, classes=classes, intervals=intervals,
    )
    (out_dir / f"{name}.card.json").write_text(card.to_json(), encoding="utf-8")
    if bundle:
        write_bundle(out_dir)
    log.info("trained %s on %d records: %s", name, len(train), metrics)
    return card


def _params(spec: ModelSpec, seed: int) -> dict[str, Any]:
    return {
        "C": spec.c, "max_features": spec.max_features, "min_df": spec.min_df, "sublinear_tf": True,
        "features": "jieba words + word bigrams + char 1-3-grams", "classifier": "LogisticRegression",
        "class_weight": spec.class_weight, "seed": seed,
        "calibration": "on 5-fold out-of-fold scores of the training data" if spec.calibrate else None,
    }


def _fit(spec: ModelSpec, records: Sequence[Record], seed: int) -> Any:
    """The fitted scikit-learn pipeline of ``spec`` on ``records`` (calibrated if the spec says so)."""
    pipe = _fit_plain(spec, records, seed)
    if spec.calibrate:
        calibrate(pipe, _out_of_fold_scores(spec, records, seed), [r["label"] for r in records])
    return pipe


def _fit_plain(spec: ModelSpec, records: Sequence[Record], seed: int) -> Any:
    pipe = build_pipeline(spec.c, spec.max_features, seed, spec.class_weight, spec.min_df)
    texts, labels = [r["text"] for r in records], [r["label"] for r in records]
    vec, clf = pipe.named_steps["tfidf"], pipe.named_steps["clf"]
    clf.fit(vec.fit_transform(texts), labels)
    vec.stop_words_ = None  # large and only informative; not needed to predict
    return pipe


def _out_of_fold_scores(spec: ModelSpec, records: Sequence[Record], seed: int) -> np.ndarray:
    """Decision scores of each record from a fit that did not see it (5 folds, stratified)."""
    from sklearn.model_selection import StratifiedKFold

    labels = [r["label"] for r in records]
    counts = {c: labels.count(c) for c in set(labels)}
    strata = [c if counts[c] >= 5 else "rare" for c in labels]
    classes = sorted(set(labels))
    scores: np.ndarray | None = None
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=seed).split(labels, strata):
        pipe = _fit_plain(spec, [records[i] for i in train_idx], seed)
        z = np.asarray(pipe.decision_function([records[i]["text"] for i in test_idx]))
        fold_classes = [str(c) for c in pipe.named_steps["clf"].classes_]
        if scores is None:
            scores = np.zeros((len(records), 1 if len(classes) == 2 else len(classes)))
        if z.ndim == 1:
            scores[test_idx, 0] = z
        else:  # a class absent from a fold's training part keeps a very low score
            full = np.full((len(test_idx), len(classes)), -10.0)
            for j, c in enumerate(fold_classes):
                full[:, classes.index(c)] = z[:, j]
            scores[test_idx] = full
    assert scores is not None
    return scores


def calibrate(pipe: Any, scores: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Fold a calibration fitted on out-of-fold ``scores`` into the pipeline's linear weights.

    Binary: Platt scaling, p = σ(a·z + b). Multi-class: a temperature and a bias per class,
    p = softmax(z / T + b) (class weighting shifts the classes' priors; the bias puts them back).
    Both are affine in the scores, so the model stays one linear layer (serving is unchanged).
    """
    from scipy.optimize import minimize

    clf = pipe.named_steps["clf"]
    classes = [str(c) for c in clf.classes_]
    y = np.asarray([classes.index(str(label)) for label in labels])
    if scores.shape[1] == 1:
        z = scores[:, 0]

        def nll_binary(p: np.ndarray) -> float:
            t = p[0] * z + p[1]
            return float(np.mean(np.logaddexp(0, t) - y * t))

        a, b = minimize(nll_binary, np.array([1.0, 0.0]), method="L-BFGS-B").x
        clf.coef_ = clf.coef_ * a
        clf.intercept_ = clf.intercept_ * a + b
        return {"method": "platt", "a": round(float(a), 4), "b": round(float(b), 4)}
    k = scores.shape[1]

    def nll(p: np.ndarray) -> float:
        t = scores / np.exp(p[0]) + p[1:]
        t = t - t.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(t).sum(axis=1)) - t[np.arange(len(y)), y]))

    res = minimize(nll, np.zeros(k + 1), method="L-BFGS-B")
    temp, bias = float(np.exp(res.x[0])), res.x[1:]
    clf.coef_ = clf.coef_ / temp
    clf.intercept_ = clf.intercept_ / temp + bias
    return {"method": "temperature+bias", "T": round(temp, 4), "bias": [round(float(v), 4) for v in bias]}


def _linear(pipe: Any) -> LinearModel:
    return LinearModel.from_pipeline(pipe, [str(c) for c in pipe.named_steps["clf"].classes_])


def load_linear(name: str, models_dir: Path | None = None) -> LinearModel:
    """The serving form of a saved model (no scikit-learn import)."""
    path = Path(models_dir or DEFAULT_MODELS_DIR) / f"{name}.joblib"
    if not path.exists():
        raise ModelNotFoundError(f"no trained {name!r} model at {path}; run `yuqing train {name}`")
    import joblib

    return LinearModel.from_state(joblib.load(path))


def write_bundle(models_dir: Path) -> Path | None:
    """Save the merged serving feature space of all four models (fast analyzer start), if all exist."""
    models_dir = Path(models_dir)
    if not all((models_dir / f"{n}.joblib").exists() for n in SPECS):
        return None
    import joblib

    models = {n: load_linear(n, models_dir) for n in SPECS}
    versions = {n: (c.version if (c := load_card(n, models_dir)) else "") for n in SPECS}
    path = models_dir / BUNDLE
    joblib.dump(FeatureSpace.from_models(models).to_state(versions), path, compress=1)
    return path


def load_space(models_dir: Path | None = None) -> tuple[FeatureSpace, dict[str, str]]:
    """The serving feature space: the saved bundle when its versions match the cards, else built.

    A model missing from ``models_dir`` (e.g. only ``relevance`` was retrained there) is taken from
    the shipped defaults.
    """
    models_dir = Path(models_dir or DEFAULT_MODELS_DIR)
    dirs = {n: models_dir if (models_dir / f"{n}.joblib").exists() else DEFAULT_MODELS_DIR for n in SPECS}
    versions = {n: (c.version if (c := load_card(n, dirs[n])) else "") for n in SPECS}
    path = models_dir / BUNDLE
    if path.exists():
        import joblib

        state = joblib.load(path)
        if state.get("versions") == versions and state.get("format") == 3:
            return FeatureSpace.from_state(state), versions
        log.warning("%s is stale (models retrained); merging the models instead", path)
    elif models_dir != DEFAULT_MODELS_DIR:
        log.info("no serving bundle in %s: merging the models (slower start)", models_dir)
    models = {n: load_linear(n, dirs[n]) for n in SPECS}
    return FeatureSpace.from_models(models), versions


def load_card(name: str, models_dir: Path | None = None) -> ModelCard | None:
    path = Path(models_dir or DEFAULT_MODELS_DIR) / f"{name}.card.json"
    return ModelCard.read(path) if path.exists() else None


def _metrics(spec: ModelSpec, records: Sequence[Record], model: LinearModel) -> dict[str, float]:
    return score(spec, [r["label"] for r in records], predict_labels(spec, records, model))


def predict_labels(spec: ModelSpec, records: Sequence[Record], model: LinearModel) -> list[str]:
    """The model's label for each record (a sentiment file with only neg/pos labels: argmax of those two)."""
    proba = model.predict_proba_features([features(tokenize(r["text"])) for r in records])
    classes = list(model.classes)
    present = {r["label"] for r in records}
    if spec.name == "sentiment" and "neu" not in present and present <= {"neg", "pos"}:
        cols = [classes.index(c) for c in ("neg", "pos")]
        return [("neg", "pos")[i] for i in np.argmax(proba[:, cols], axis=1)]
    return [classes[i] for i in np.argmax(proba, axis=1)]


def score(spec: ModelSpec, y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """``n, accuracy, precision, recall, f1, macro_f1`` (see the module docstring)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    present = sorted(set(y_true))
    macro = float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))
    if spec.positive is not None:
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=[spec.positive], average=None, zero_division=0
        )
        prec, rec, f1 = float(p[0]), float(r[0]), float(f[0])
        macro = float(f1_score(y_true, y_pred, labels=list(spec.classes), average="macro", zero_division=0))
    else:
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=present, average="macro", zero_division=0
        )
        prec, rec, f1 = float(p), float(r), float(f)
    return {"n": len(y_true), "accuracy": float(accuracy_score(y_true, y_pred)), "precision": prec,
            "recall": rec, "f1": f1, "macro_f1": macro}


def bootstrap_intervals(spec: ModelSpec, y_true: Sequence[str], y_pred: Sequence[str], *, rounds: int = 1000,
                        seed: int = SEED) -> dict[str, list[float]]:
    """95 % percentile-bootstrap intervals of each metric (items resampled with replacement)."""
    rng = np.random.default_rng(seed)
    yt, yp = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        idx = rng.integers(0, len(yt), len(yt))
        for key, value in score(spec, yt[idx].tolist(), yp[idx].tolist()).items():
            if key != "n":
                samples.setdefault(key, []).append(value)
    return {k: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for k, v in samples.items()}


def evaluate_model(name: str, records: Iterable[Record], models_dir: Path | None = None) -> dict[str, float]:
    """Score a saved model on labelled records: ``n, accuracy, precision, recall, f1, macro_f1``."""
    spec = spec_for(name)
    parsed = parse_records(name, records)
    if not parsed:
        raise LabelError(f"{name}: no labelled records to evaluate")
    card = load_card(name, models_dir)
    if card is not None and card.params.get("refit_on_validation"):
        log.warning("the %s model was refit on its validation split too: scores on that split are not "
                    "development numbers (build train-only models with `python -m nlp.build_models --dev "
                    "--out build/dev` and evaluate those with --models build/dev)", name)
    return _metrics(spec, parsed, load_linear(name, models_dir))
