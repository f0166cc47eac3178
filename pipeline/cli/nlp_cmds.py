"""`yuqing train MODEL` and `yuqing eval MODEL` (DESIGN §3): the classifiers of `nlp`.

`eval` works without a config file (it then scores the shipped models unless --models is given).
`train` without --data uses the default training data (config `nlp.training_data`, else
``../shared/data`` next to the working directory or the repository) plus the analysts' labels in the
database (skipped, with a warning, when there is no config or database).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from pipeline.cli.context import CliState, console, database, err_console, fail, state
from pipeline.config import Config, ConfigError

log = logging.getLogger(__name__)
MODEL_HELP = "relevance, rumour, sentiment or category"
# A Literal is a choice for typer: a mistyped model is a usage error (exit 2), not a traceback.
# Kept equal to nlp.models.MODEL_NAMES (tests/pipeline/test_cli_usage.py checks it).
ModelName = Literal["relevance", "rumour", "sentiment", "category"]
METRICS = ("n", "accuracy", "precision", "recall", "f1", "macro_f1")


PRIMARY = {"relevance": "f1", "rumour": "f1", "category": "accuracy", "sentiment": "accuracy"}
WORSE_TOLERANCE = 0.005  # a new model this much below the active one on its primary metric is refused

models_app = typer.Typer(help="List model versions (active marked) and roll back to one.",
                         invoke_without_command=True, no_args_is_help=False)


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("eval")(eval_)
    app.add_typer(models_app, name="models")


def _config_or_none(cli: CliState) -> Config | None:
    """The config when a config file exists; train/eval also work without one."""
    if not cli.resolved_config_path().exists():
        return None
    try:
        return cli.config()
    except ConfigError:
        raise
    except OSError:  # pragma: no cover - unreadable file is reported by load_config
        return None


def _default_data_dir(config: Config | None) -> Path | None:
    if config is not None and config.nlp.training_data:
        return config.path(config.nlp.training_data)
    repo = Path(__file__).resolve().parents[2]
    for candidate in (Path.cwd().parent / "shared" / "data", repo.parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def _models_dir(config: Config | None, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    if config is not None and config.nlp.models_dir:
        return config.path(config.nlp.models_dir)
    return None


def _analyst_labels(config: Config | None, model: str) -> list[dict[str, Any]]:
    if config is None:
        err_console.print("no config file: training without analysts' labels")
        return []
    from pipeline.exceptions import StorageError
    from pipeline.store.labels import training_records

    try:
        with database(config) as (_engine, factory), factory() as session:
            return training_records(session, model)
    except StorageError as exc:
        err_console.print(f"database not available ({exc}): training without analysts' labels")
        return []


def _target_dir(config: Config | None, explicit: Path | None) -> Path:
    """Where train writes and `models` looks: --out/--models, nlp.models_dir, else <data_dir>/models."""
    out_dir = _models_dir(config, explicit)
    if out_dir is None:
        out_dir = config.path(config.data_dir) / "models" if config is not None else Path("models")
    return out_dir


def train(
    ctx: typer.Context,
    model: Annotated[ModelName, typer.Argument(help=MODEL_HELP)],
    data: Annotated[Path | None, typer.Option("--data", help="labelled JSONL (default: the annotated corpus; "
                                              "rumour: the shared training data)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="models folder (default: nlp.models_dir, else "
                                             "<data_dir>/models)")] = None,
    labels: Annotated[bool, typer.Option("--labels/--no-labels", help="add the analysts' labels from the database")
                      ] = True,
    val: Annotated[Path | None, typer.Option("--val", help="fixed validation JSONL both models are scored on "
                                             "(default: the model's own validation split)")] = None,
    force: Annotated[bool, typer.Option("--force", help="install the new model even if it scores worse")] = False,
) -> None:
    """Train a classifier; install it unless it scores worse than the active one on the same validation file."""
    import shutil
    import tempfile

    from nlp.exceptions import NlpError
    from nlp.train import load_labelled, spec_for, train_model
    from nlp.versions import install

    cli = state(ctx)
    config = _config_or_none(cli)
    out_dir = _target_dir(config, out)
    try:
        spec = spec_for(model)
        extra = _analyst_labels(config, model) if labels else []
        data_dir = _default_data_dir(config)
        out_dir.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".staging-{model}-", dir=out_dir))
        try:
            if data is not None:
                card = train_model(model, load_labelled(data, model), staged, extra_records=extra, bundle=False)
            else:
                if data_dir is None and spec.needs_shared_data:
                    raise fail("no training data: pass --data FILE or set nlp.training_data in the config")
                card = train_model(model, None, staged, extra_records=extra, data_dir=data_dir, bundle=False)
            fixed = _validation_records(model, val, data_dir)
            console.print(f"trained {card.name} {card.version} on {card.n_train} records "
                          f"({card.n_extra} analysts' labels)")
            if fixed:
                before, after = _compare(model, fixed, out_dir, staged)
                key = PRIMARY[model]
                if after[key] < before[key] - WORSE_TOLERANCE and not force:
                    raise fail(f"not installed: {model} {key} {after[key]:.4f} on the validation file is worse "
                               f"than the active model's {before[key]:.4f}; pass --force to install it anyway")
            elif card.metrics:
                _print_table(card.metrics, f"validation ({card.n_validation} records)")
            install(out_dir, model, staged)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    except NlpError as exc:
        raise fail(str(exc)) from None
    console.print(f"installed {card.version} in {out_dir} (the previous version is kept; "
                  f"`yuqing models rollback {model}` brings it back)")
    if config is None or not config.nlp.models_dir:
        console.print(f"to use it, set nlp.models_dir: {out_dir} in the config")


def _validation_records(model: str, explicit: Path | None, data_dir: Path | None) -> list[dict[str, Any]]:
    """The fixed validation file: --val, else the model's default validation split (if available)."""
    from nlp.train import load_labelled, parse_records, spec_for

    if explicit is not None:
        return load_labelled(explicit, model)
    spec = spec_for(model)
    if spec.needs_shared_data and data_dir is None:
        return []
    return parse_records(model, spec.default_data(data_dir or Path("."))[1])


def _compare(model: str, records: list[dict[str, Any]], active_dir: Path, staged: Path
             ) -> tuple[dict[str, float], dict[str, float]]:
    """Score the active and the new model on the same records; print both."""
    from nlp.train import DEFAULT_MODELS_DIR, evaluate_model

    current = active_dir if (active_dir / f"{model}.joblib").exists() else DEFAULT_MODELS_DIR
    before = evaluate_model(model, records, current)
    after = evaluate_model(model, records, staged)
    table = Table(title=f"{model} on the validation file ({int(after['n'])} records)")
    for col in ("metric", "active model", "new model"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for key in METRICS[1:]:
        table.add_row(key, f"{before[key]:.4f}", f"{after[key]:.4f}")
    console.print(table)
    return before, after


@models_app.callback()
def models_list(
    ctx: typer.Context,
    models: Annotated[Path | None, typer.Option("--models", help="models folder (default: nlp.models_dir, "
                                                "else <data_dir>/models)")] = None,
) -> None:
    """List every model's versions: the shipped one and those trained here; * marks the active one."""
    from nlp.models import MODEL_NAMES
    from nlp.versions import list_versions

    folder = ctx.meta["models_dir"] = _target_dir(_config_or_none(state(ctx)), models)
    if ctx.invoked_subcommand is not None:
        return
    table = Table(title=f"model versions ({folder})")
    for col in ("model", "version", "trained", "validation", "active"):
        table.add_column(col)
    for name in MODEL_NAMES:
        for v in list_versions(folder if folder.exists() else None, name):
            key = PRIMARY[name]
            score = f"{key} {v.metrics[key]:.3f}" if key in v.metrics else ""
            table.add_row(name, v.version + (" (shipped)" if v.shipped else ""), v.created[:16], score,
                          "*" if v.active else "")
    console.print(table)


@models_app.command("rollback")
def models_rollback(
    ctx: typer.Context,
    model: Annotated[ModelName, typer.Argument(help=MODEL_HELP)],
    to: Annotated[str | None, typer.Option("--to", help="version to activate (default: the one before the "
                                           "active one)")] = None,
) -> None:
    """Make an earlier version of a model the active one."""
    from nlp.exceptions import NlpError
    from nlp.train import spec_for
    from nlp.versions import activate, previous_version

    folder: Path = ctx.meta["models_dir"]
    try:
        spec_for(model)
        version = to or previous_version(folder, model)
        if version is None:
            raise fail(f"{model}: no earlier version to roll back to (`yuqing models` lists them)")
        chosen = activate(folder, model, version)
    except NlpError as exc:
        raise fail(str(exc)) from None
    console.print(f"{model}: {chosen.version}{' (shipped)' if chosen.shipped else ''} is active in {folder}")


def eval_(
    ctx: typer.Context,
    model: Annotated[ModelName, typer.Argument(help=MODEL_HELP)],
    data: Annotated[Path, typer.Option("--data", help="labelled JSONL: text and label per line")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    models: Annotated[Path | None, typer.Option("--models", help="models folder (default: nlp.models_dir, "
                                                "else the shipped models)")] = None,
) -> None:
    """Evaluate a trained classifier on labelled data."""
    from nlp.exceptions import NlpError
    from nlp.train import evaluate_model, load_labelled

    config = _config_or_none(state(ctx))
    try:
        metrics = evaluate_model(model, load_labelled(data, model), _models_dir(config, models))
    except NlpError as exc:
        raise fail(str(exc)) from None
    result = {k: metrics[k] for k in METRICS}
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _print_table(result, f"{model} on {data}")


def _print_table(metrics: dict[str, float], title: str) -> None:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in METRICS:
        if key in metrics:
            value = metrics[key]
            table.add_row(key, str(int(value)) if key == "n" else f"{value:.4f}")
    console.print(table)
