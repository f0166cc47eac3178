"""`yuqing train` / `yuqing eval` (pipeline/cli/nlp_cmds.py) on a tiny labelled file."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

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
    res = runner.invoke(app, ["train", "rumour", "--data", str(data), "--out", str(out_dir), "--no-labels"])
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
