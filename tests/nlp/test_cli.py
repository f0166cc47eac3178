"""`yuqing train` / `yuqing eval` (pipeline/cli/nlp_cmds.py) on a tiny labelled file."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from nlp.train import DEFAULT_MODELS_DIR
from pipeline.cli import nlp_cmds
from pipeline.cli.context import CliState


def _app(config: Path) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config_path=config)

    nlp_cmds.register(app)
    return app


def _write(path: Path, rows: list[tuple[str, object]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "label": lab, "extra": 1}, ensure_ascii=False) + "\n"
                            for t, lab in rows), encoding="utf-8")
    return path


def test_train_then_eval_json(tmp_path: Path) -> None:
    rows = []
    for i in range(30):
        rows.append((f"网传紧急扩散，明天起全市停水{i}天，速转", 1))
        rows.append((f"市政府召开新闻发布会，介绍第{i}季度经济运行情况", 0))
    data = _write(tmp_path / "rumour.jsonl", rows)
    app = _app(tmp_path / "absent.yaml")  # no config file: train/eval still work
    runner = CliRunner()
    out_dir = tmp_path / "models"
    res = runner.invoke(app, ["train", "rumour", "--data", str(data), "--out", str(out_dir), "--no-labels", "--force"])
    assert res.exit_code == 0, res.output
    assert (out_dir / "rumour.card.json").exists()
    res = runner.invoke(app, ["eval", "rumour", "--data", str(data), "--json", "--models", str(out_dir)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    assert list(metrics) == ["n", "accuracy", "precision", "recall", "f1", "macro_f1"]
    assert metrics["n"] == 60 and metrics["accuracy"] > 0.9


def test_eval_bad_label_names_the_line(tmp_path: Path) -> None:
    data = _write(tmp_path / "bad.jsonl", [("好", "pos"), ("坏", "terrible")])
    res = CliRunner().invoke(_app(tmp_path / "absent.yaml"), ["eval", "sentiment", "--data", str(data)])
    assert res.exit_code == 1
    assert "bad.jsonl:2" in res.output


def _rumour_rows(n: int, noise: bool = False) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for i in range(n):
        rumour, fact = f"网传紧急扩散，明天起全市停水{i}天，速转", f"市政府召开新闻发布会，介绍第{i}季度经济运行情况"
        rows += [(rumour, 0 if noise else 1), (fact, 1 if noise else 0)]
    return rows


def test_train_refuses_a_worse_model_and_models_rolls_back(tmp_path: Path) -> None:
    app, runner, out = _app(tmp_path / "absent.yaml"), CliRunner(), tmp_path / "models"
    good = _write(tmp_path / "good.jsonl", _rumour_rows(30))
    flipped = _write(tmp_path / "flipped.jsonl", _rumour_rows(30, noise=True))
    common = ["--out", str(out), "--no-labels", "--val", str(good)]
    res = runner.invoke(app, ["train", "rumour", "--data", str(good), *common])
    assert res.exit_code == 0, res.output
    first = json.loads((out / "rumour.card.json").read_text())["version"]
    # labels flipped: worse on the fixed validation file -> refused, the active model stays
    res = runner.invoke(app, ["train", "rumour", "--data", str(flipped), *common])
    assert res.exit_code == 1 and "not installed" in res.output and "--force" in res.output
    assert json.loads((out / "rumour.card.json").read_text())["version"] == first
    assert "active model" in res.output and "new model" in res.output  # before and after were printed
    res = runner.invoke(app, ["train", "rumour", "--data", str(flipped), *common, "--force"])
    assert res.exit_code == 0, res.output
    second = json.loads((out / "rumour.card.json").read_text())["version"]
    assert second != first
    res = runner.invoke(app, ["models", "--models", str(out)])
    assert res.exit_code == 0, res.output
    assert first in res.output and second in res.output and "(shipped)" in res.output
    res = runner.invoke(app, ["models", "--models", str(out), "rollback", "rumour"])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "rumour.card.json").read_text())["version"] == first
    eval_res = runner.invoke(app, ["eval", "rumour", "--data", str(good), "--json", "--models", str(out)])
    assert json.loads(eval_res.stdout)["accuracy"] > 0.9  # the restored model is the good one
    # back to the shipped version: the folder's active copy goes, the shipped model serves again
    shipped = json.loads((DEFAULT_MODELS_DIR / "rumour.card.json").read_text())["version"]
    assert runner.invoke(app, ["models", "--models", str(out), "rollback", "rumour", "--to", shipped]).exit_code == 0
    assert not (out / "rumour.joblib").exists()
    assert not list(out.glob(".staging-*"))
