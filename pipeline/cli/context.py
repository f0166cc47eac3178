"""What every command shares: the config path, loading config and the database, errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
import typer.core
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Config, ConfigError, config_file_path, load_config
from pipeline.exceptions import YuqingError

log = logging.getLogger(__name__)
# soft_wrap: a line piped to a file or a script stays one line (rich would wrap it at 80 columns)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _no_flag_metavar(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # typer would show "<bool>" as if the flag took a value
    return params


class FlagHelpCommand(typer.core.TyperCommand):
    """A command whose help shows no ``<bool>`` after a flag."""

    def get_params(self, ctx: typer.Context) -> list[Any]:  # type: ignore[override]
        return _no_flag_metavar(super().get_params(ctx))


class FlagHelpGroup(typer.core.TyperGroup):
    """A command group whose help shows no ``<bool>`` after a flag."""

    def get_params(self, ctx: typer.Context) -> list[Any]:  # type: ignore[override]
        return _no_flag_metavar(super().get_params(ctx))


@dataclass
class CliState:
    config_path: Path | None = None
    _config: Config | None = field(default=None, repr=False)

    def resolved_config_path(self) -> Path:
        """The config file in use (for crawl subprocesses, which read it themselves)."""
        return config_file_path(self.config_path).resolve()

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


@contextmanager
def database(config: Config, *, migrate_check: bool = True) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """An engine and session factory for the configured database, disposed afterwards."""
    from pipeline.db import engine_from_config, session_factory
    from pipeline.migrate import require_current

    engine = engine_from_config(config, create=not migrate_check)
    try:
        if migrate_check:
            require_current(engine)
        yield engine, session_factory(engine)
    finally:
        engine.dispose()


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def run_guarded(app: typer.Typer) -> int:
    """Run the app; known errors become one line on stderr and exit status 1."""
    try:
        # Without standalone mode click returns typer.Exit's code instead of raising it.
        result = app(standalone_mode=False, prog_name="yuqing")
    except ConfigError as exc:
        err_console.print(f"[bold red]error:[/] config {exc.source}:", markup=True)
        for issue in exc.issues:
            err_console.print(f"  {issue}", markup=False, soft_wrap=True)
        return 1
    except YuqingError as exc:
        err_console.print("[bold red]error:[/] ", markup=True, end="")
        err_console.print(str(exc), markup=False, soft_wrap=True)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except OSError as exc:
        log.debug("os error", exc_info=True)
        err_console.print("[bold red]error:[/] ", markup=True, end="")
        err_console.print(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), markup=False)
        return 1
    except typer.TyperException as exc:  # usage errors (typer's bundled click), in non-standalone mode
        show = getattr(exc, "show", None)
        if callable(show):
            show(file=sys.stderr)
        else:  # pragma: no cover - every usage error of typer's click has show()
            err_console.print(f"error: {exc.format_message()}", markup=False)
        return int(exc.exit_code)
    return result if isinstance(result, int) else 0
