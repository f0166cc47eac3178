"""`yuqing demo`: the whole loop on this machine, nothing configured."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipeline.cli.context import console

if TYPE_CHECKING:
    from pipeline.demo.site import DemoSite


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option("--out", help="folder for the demo's database, mails and digest")] = Path(
        "demo-out"),
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop after the digest; do not start the web app")
                        ] = False,
    port: Annotated[int, typer.Option(help="port for the review app")] = 8080,
) -> None:
    """Crawl a bundled demo site, analyse, alert, write mails and a digest, then serve the review app."""
    from pipeline.demo.site import DemoSite

    # The demo site stays up while the review app is served: the demo config's sources can be crawled
    # again meanwhile (`yuqing --config demo-out/config.yaml crawl demo-news`).
    with DemoSite() as site:
        _demo(out, no_serve, port, site)


def _demo(out: Path, no_serve: bool, port: int, site: DemoSite) -> None:
    from pipeline.demo.run import run_demo

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task("yuqing demo", total=None)

        def step(text: str) -> None:
            progress.update(task, description=text)
            if not console.is_terminal:
                console.print(f"… {text}")

        summary, config = run_demo(out, step=step, site=site)
    paths = summary.paths
    grades = ", ".join(f"{grade}: {n}" for grade, n in summary.alerts_by_grade.items()) or "none"
    console.print(f"\n[bold]yuqing demo finished in {summary.seconds:.0f}s[/]")
    console.print(f"  posts crawled   {summary.posts}")
    console.print(f"  relevant        {summary.relevant}")
    console.print(f"  rumours         {summary.rumours} (疑似谣言 as the digest counts them: relevant posts in "
                  "the rumour category, debunks not counted)")
    console.print(f"  alerts by grade {grades}")
    for error in summary.crawl_errors:
        console.print(f"  [red]crawl problem[/] {error}")
    console.print(f"  mails           {len(summary.mails)} alert mails, {len(summary.digest_mails)} digest mails "
                  f"(one per recipient) in {paths.mail}")
    console.print(f"  digest          {summary.digest}")
    for report in summary.reports:
        console.print(f"  report          {report}")
    console.print(f"  database        {paths.database}   config {paths.config}")
    users = ", ".join(name for name, _ in summary.users)
    console.print(f"  logins          {users}; password: {summary.password}")
    if summary.crawl_errors:
        console.print("[red]the demo's crawls failed; see the problems above[/]")
        raise typer.Exit(1)
    if no_serve:
        console.print(f"\nreview app: yuqing --config {paths.config} serve --port {port}")
        console.print("the demo site has stopped: its sources are disabled in the config; "
                      "run `yuqing demo` again to crawl it")
        return
    from pipeline.cli.serve_cmds import serve_app

    console.print(f"\nreview app on http://127.0.0.1:{port}/  (Ctrl-C stops it)")
    console.print(f"while it runs, the demo site can be crawled again: yuqing --config {paths.config} crawl "
                  + " ".join(s.name for s in config.sources))
    serve_app(config, host="127.0.0.1", port=port)
