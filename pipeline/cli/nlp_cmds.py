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


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("eval")(eval_)


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


def train(
    ctx: typer.Context,
    model: Annotated[ModelName, typer.Argument(help=MODEL_HELP)],
    data: Annotated[Path | None, typer.Option("--data", help="labelled JSONL (default: the shared training data)")
                    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="models folder (default: nlp.models_dir, else "
                                             "<data_dir>/models)")] = None,
    labels: Annotated[bool, typer.Option("--labels/--no-labels", help="add the analysts' labels from the database")
                      ] = True,
) -> None:
    """Train a classifier and save it with its model card."""
    from nlp.exceptions import NlpError
    from nlp.train import load_labelled, train_model

    cli = state(ctx)
    config = _config_or_none(cli)
    out_dir = _models_dir(config, out)
    if out_dir is None:
        out_dir = config.path(config.data_dir) / "models" if config is not None else Path("models")
    try:
        extra = _analyst_labels(config, model) if labels else []
        if data is not None:
            card = train_model(model, load_labelled(data, model), out_dir, extra_records=extra)
        else:
            data_dir = _default_data_dir(config)
            if data_dir is None:
                raise fail("no training data: pass --data FILE or set nlp.training_data in the config")
            card = train_model(model, None, out_dir, extra_records=extra, data_dir=data_dir)
    except NlpError as exc:
        raise fail(str(exc)) from None
    console.print(f"trained {card.name} {card.version} on {card.n_train} records "
                  f"({card.n_extra} analysts' labels) → {out_dir}")
    if card.metrics:
        _print_table(card.metrics, f"validation ({card.n_validation} records)")
    if config is None or not config.nlp.models_dir:
        console.print(f"to use it, set nlp.models_dir: {out_dir} in the config")


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
