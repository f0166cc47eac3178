"""Set-up commands: init, check-config, db upgrade, user add (the other user commands: `user_cmds`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.engine import make_url

from pipeline.cli import user_cmds
from pipeline.cli.context import console, database, fail, state
from pipeline.config import STARTER_CONFIG, Config, format_duration, load_config
from pipeline.exceptions import YuqingError


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check-config")(check_config)
    db = typer.Typer(help="Database schema.", no_args_is_help=True)
    db.command("upgrade")(db_upgrade)
    app.add_typer(db, name="db")
    user = typer.Typer(help="Logins for the review app.", no_args_is_help=True)
    user.command("add")(user_add)
    user_cmds.register(user)
    app.add_typer(user, name="user")


def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="folder for config.yaml and the data folder")] = Path("."),
    force: Annotated[bool, typer.Option(help="overwrite an existing config.yaml")] = False,
) -> None:
    """Write a starter config and create the database."""
    from pipeline.db import engine_from_config
    from pipeline.migrate import upgrade

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "config.yaml"
    explicit = state(ctx).config_path
    if explicit is not None:
        target = explicit
    if target.exists() and not force:
        console.print(f"{target} exists; keeping it (use --force to overwrite)")
    else:
        shutil.copyfile(STARTER_CONFIG, target)
        console.print(f"wrote {target}")
    config = load_config(target)
    engine = engine_from_config(config)
    try:
        _, after = upgrade(engine)
    finally:
        engine.dispose()
    console.print(f"database {_shown_url(config)} ready (schema {after})")
    console.print(f"next: edit {target}, then run `yuqing --config {target} check-config`")


def _shown_url(config: Config) -> str:
    return make_url(config.database_url).render_as_string(hide_password=True)


def check_config(ctx: typer.Context) -> None:
    """Validate the config; list every problem with its key, or print a summary."""
    config = state(ctx).config()
    console.print(f"[bold green]config OK[/]: {state(ctx).config_path or 'config.yaml'}")
    console.print(f"storage   {_shown_url(config)}   timezone {config.timezone}")
    table = Table(title=f"sources ({len(config.sources)})", title_justify="left", box=None)
    for column in ("name", "kind", "schedule", "start", "enabled"):
        table.add_column(column)
    for s in config.sources:
        every = s.schedule_every
        schedule = f"every {format_duration(every)}" if every else f"cron {s.cron}"
        start = s.start_urls[0] if s.start_urls else (s.folder or "")
        table.add_row(s.name, s.kind, schedule, start, "yes" if s.enabled else "no")
    console.print(table)
    console.print(f"topics    {', '.join(f'{t.name} ({t.label})' for t in config.topics) or '(none)'}")
    for m in config.monitors:
        topics = ", ".join(m.topics) or "all topics"
        console.print(f"monitor   {m.name} <{m.email}>: {topics}" + (f"; supervisor {m.supervisor}"
                                                                         if m.supervisor else ""))
    deadlines = ", ".join(f"{g}: {format_duration(d)}" for g, d in config.alerts.deadlines.items())
    console.print(f"alerts    {len(config.alerts.rules)} rules; deadlines {deadlines}; "
                  f"follow-up every {format_duration(config.alerts.followup_every)}")
    console.print(f"digest    {config.digest.time:%H:%M} to {', '.join(config.digest.recipients) or '(nobody)'}")
    mail = f"files in {config.smtp.outbox_dir}" if config.smtp.outbox_dir else \
        f"{config.smtp.host}:{config.smtp.port} ({config.smtp.security})"
    console.print(f"mail      {mail}; webhooks: {', '.join(w.name for w in config.webhooks) or '(none)'}")
    console.print(f"review    http://{config.review.host}:{config.review.port}/")


def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations."""
    from pipeline.migrate import upgrade

    config = state(ctx).config()
    with database(config, migrate_check=False) as (engine, _):
        before, after = upgrade(engine)
    if before == after:
        console.print(f"database {_shown_url(config)} already at {after}")
    else:
        console.print(f"database {_shown_url(config)} upgraded {before or '(empty)'} → {after}")


def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option("--role", help="analyst, monitor, approver or admin")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Create a login for the review app."""
    from pipeline.db import transaction
    from pipeline.store.users import ROLES, add_user

    if role not in ROLES:
        raise fail(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    password = user_cmds.read_password(password_stdin)
    config = state(ctx).config()
    with database(config) as (_, factory):
        try:
            with transaction(factory) as session:
                add_user(session, name, role, password, actor=user_cmds.CLI_ACTOR)
        except YuqingError as exc:
            raise fail(str(exc)) from None
    console.print(f"user {name} ({role}) created")
