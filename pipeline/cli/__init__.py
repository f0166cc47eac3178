"""The `yuqing` command line (DESIGN §3). Each module adds one group of commands."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
import typer.core

from pipeline.cli.context import CliState, FlagHelpCommand, FlagHelpGroup, run_guarded

app = typer.Typer(
    name="yuqing",
    cls=FlagHelpGroup,
    help="舆情 yuqing: crawl public posts, flag what matters, alert the monitor, mail a daily digest.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="config file (default ./config.yaml "
                                                "or $YUQING_CONFIG)")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="more log output")] = 0,
) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    from pipeline.logs import setup_logging

    setup_logging(level)
    ctx.obj = CliState(config_path=config)


# One module per group of commands; each has register(app). One line each, kept sorted.
COMMAND_MODULES = (
    "pipeline.cli.crawl_cmds",
    "pipeline.cli.data_cmds",
    "pipeline.cli.demo_cmds",
    "pipeline.cli.nlp_cmds",
    "pipeline.cli.notify_cmds",
    "pipeline.cli.report_cmds",
    "pipeline.cli.run_cmds",
    "pipeline.cli.serve_cmds",
    "pipeline.cli.setup_cmds",
    "pipeline.cli.source_cmds",
)
for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _use_flag_help(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        if command.cls in (None, typer.core.TyperCommand):
            command.cls = FlagHelpCommand
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            group.typer_instance.info.cls = FlagHelpGroup
            _use_flag_help(group.typer_instance)


_use_flag_help(app)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run_guarded(app))
