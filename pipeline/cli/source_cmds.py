"""`yuqing source try URL` / `yuqing source add NAME URL`: a source from its address alone."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pipeline.cli.context import console, fail, state
from pipeline.config import Config, ConfigError, config_file_path, default_config

if TYPE_CHECKING:
    from pipeline.probe.findings import Findings

source_app = typer.Typer(help="preview what yuqing finds at an address / add it as a source", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(source_app, name="source")


def _config(ctx: typer.Context) -> Config:
    """The config in use, or the defaults when there is no config file yet (for `try`)."""
    cli = state(ctx)
    if cli.config_path is None and not config_file_path().exists():
        return default_config(Path.cwd())
    return cli.config()


def _probe(config: Config, url: str) -> Findings:
    from pipeline.probe.fetch import Fetcher, FetchError
    from pipeline.probe.findings import probe

    if not url.startswith(("http://", "https://")):
        raise fail(f"{url!r} is not an http(s) address")
    with Fetcher(config) as fetcher:
        try:
            return probe(url, fetcher, tz=config.tz)
        except FetchError as exc:
            raise fail(str(exc)) from None


def _show(findings: Findings, name: str, tz: tzinfo) -> None:
    from pipeline.probe.configfile import source_yaml

    for line in findings.found:
        console.print(f"found: {escape(line)}")
    for problem in findings.problems:
        console.print(f"[yellow]could not fetch:[/] {escape(problem)}")
    for p in findings.previews:
        when = p.published.astimezone(tz).strftime("%Y-%m-%d %H:%M") if p.published else "time not found"
        console.print(f"\n  [bold]{escape(p.title[:60] or '(no title)')}[/]  {when}  {escape(p.author or '')}\n"
                      f"  {escape(p.start)}\n  {escape(p.url)}")
    if findings.understood:
        console.print("\nconfig block:\n" + escape("sources:\n" + source_yaml(name, findings.block)))
    for line in findings.advice:
        console.print(f"[yellow]to do:[/] {escape(line)}")


@source_app.command("try")
def try_source(ctx: typer.Context, url: Annotated[str, typer.Argument(help="the address: a list page, a feed, "
                                                                      "a forum")]) -> None:
    """Preview what yuqing finds at an address (feed, sitemap, list block, forum software) and its config."""
    config = _config(ctx)
    findings = _probe(config, url)
    _show(findings, "NAME", config.tz)
    if not findings.understood:
        raise typer.Exit(1)


@source_app.command("add")
def add_source(ctx: typer.Context, name: Annotated[str, typer.Argument(help="the new source's name")],
               url: Annotated[str, typer.Argument(help="its address")]) -> None:
    """Write the source yuqing finds at an address into the config file (after check-config passes)."""
    from pipeline.exceptions import YuqingError
    from pipeline.probe.configfile import add_source as write

    cli = state(ctx)
    config = cli.config()
    findings = _probe(config, url)
    _show(findings, name, config.tz)
    if not findings.understood:
        raise fail(f"nothing to add: yuqing does not understand {url} yet (see above)")
    path = cli.resolved_config_path()
    try:
        write(path, name, findings.block)
    except (YuqingError, ConfigError) as exc:
        raise fail(str(exc)) from None
    console.print(f"added source {escape(name)} ({findings.kind}) to {escape(str(path))}; "
                  f"crawl it now with `yuqing crawl {escape(name)}`")
