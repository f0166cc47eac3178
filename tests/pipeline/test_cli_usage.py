"""Usage errors: a mistyped command, option or value is click's usage message and exit 2, never a traceback."""

from __future__ import annotations

import sys
from typing import Any, get_args

import pytest
import typer.main

from nlp.models import MODEL_NAMES
from pipeline.cli import app
from pipeline.cli.context import run_guarded
from pipeline.cli.nlp_cmds import ModelName
from tests.pipeline.test_cli_setup import yuqing


def _command_paths() -> list[tuple[str, ...]]:
    """Every leaf command of the real `yuqing` program, as its words (`user add`, `crawl`, …)."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, prefix: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            paths.append(prefix)
            return
        for name, sub in sorted(subcommands.items()):
            walk(sub, (*prefix, name))

    walk(typer.main.get_command(app), ())
    return paths


COMMANDS = _command_paths()


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["yuqing", *args])
    return run_guarded(app)


def test_the_walk_finds_every_command() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert {"crawl", "status", "export", "demo", "train", "eval", "user add", "db upgrade"} <= names


@pytest.mark.parametrize("words", COMMANDS, ids=lambda p: "-".join(p))
def test_a_bad_option_is_a_usage_error_for_every_command(
        words: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(monkeypatch, *words, "--bogus")
    err = capsys.readouterr().err
    assert code == 2
    assert "No such option: --bogus" in err and "Usage: yuqing" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (("nosuchcmd",), "No such command 'nosuchcmd'"),
    (("-v", "2", "status"), "No such command '2'"),
    (("export", "--config", "X"), "No such option: --config"),
    (("train", "foo"), "'foo' is not one of"),
    (("eval", "foo", "--data", "x.jsonl"), "'foo' is not one of"),
    (("user", "nosuch"), "No such command 'nosuch'"),
])
def test_usage_errors_print_clicks_message_and_exit_2(
        args: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(monkeypatch, *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_program_itself_has_no_traceback_for_a_usage_error(tmp_path: Any) -> None:
    result = yuqing("status", "--bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "No such option: --bogus" in result.stderr and "Traceback" not in result.stderr


def test_the_model_choice_is_the_models_that_exist() -> None:
    assert get_args(ModelName) == MODEL_NAMES


def test_flags_are_not_shown_as_taking_a_value(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    for words in (("demo",), ("user", "add"), ()):
        assert _run(monkeypatch, *words, "--help") == 0
        out = capsys.readouterr().out
        assert "--help" in out and "<bool>" not in out
    assert _run(monkeypatch, "demo", "--help") == 0
    assert "<path>" in capsys.readouterr().out  # options that take a value still say which
