"""`yuqing serve`: the analysts' review web app (uvicorn on the configured host and port)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.context import state
from pipeline.config import Config


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve_app(config: Config, *, host: str | None = None, port: int | None = None) -> None:
    """Run the review app until stopped (Ctrl+C / SIGTERM); checks the schema first."""
    import uvicorn

    from pipeline.db import engine_from_config
    from pipeline.migrate import require_current
    from review.app import create_app

    engine = engine_from_config(config, create=False)
    try:
        require_current(engine)
        app = create_app(config, engine=engine)
        # no proxy-header rewriting: the app sees the TCP peer and believes X-Forwarded-For only
        # from review.trusted_proxies (review.client_address)
        uvicorn.run(app, host=host or config.review.host, port=port or config.review.port, log_level="info",
                    proxy_headers=False)
    finally:
        engine.dispose()


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="address to listen on (default review.host)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="port (default review.port)")] = None,
) -> None:
    """Serve the analysts' web app: inbox, items, alerts, drafts, dashboard, digests, API."""
    config = state(ctx).config()
    typer.echo(f"yuqing review app on http://{host or config.review.host}:{port or config.review.port}/ "
               "(Ctrl+C stops it)")
    serve_app(config, host=host, port=port)
