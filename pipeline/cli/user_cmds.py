"""`yuqing user list|disable|enable|passwd`: managing review-app logins without editing the database.

Each change is audited under the actor ``cli``; disabling a user and changing a password
end that user's sessions at once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from pipeline.cli.context import console, database, fail, state
from pipeline.exceptions import YuqingError

CLI_ACTOR = "cli"


def register(user: typer.Typer) -> None:
    user.command("list")(user_list)
    user.command("disable")(user_disable)
    user.command("enable")(user_enable)
    user.command("passwd")(user_passwd)


def read_password(password_stdin: bool) -> str:
    """The new password from stdin (one line) or typed twice at a hidden prompt."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def _change(ctx: typer.Context, work: Callable[[Session], object]) -> None:
    from pipeline.db import transaction

    config = state(ctx).config()
    with database(config) as (_, factory):
        try:
            with transaction(factory) as session:
                work(session)
        except YuqingError as exc:
            raise fail(str(exc)) from None


def user_list(ctx: typer.Context) -> None:
    """List the logins: name, role, active or disabled, created."""
    from pipeline.store.users import list_users

    config = state(ctx).config()
    with database(config) as (_, factory), factory() as session:
        users = list_users(session)
        table = Table(box=None)
        for column in ("name", "role", "status", "created"):
            table.add_column(column)
        for u in users:
            table.add_row(u.name, u.role, "active" if u.active else "disabled",
                          u.created_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"))
    console.print(table if users else "no users; add one with `yuqing user add NAME --role ROLE`")


NameArg = Annotated[str, typer.Argument(help="login name")]


def user_disable(ctx: typer.Context, name: NameArg) -> None:
    """Stop a login from working: it can no longer log in and its sessions end now."""
    from pipeline.store.users import disable_user

    _change(ctx, lambda s: disable_user(s, name, actor=CLI_ACTOR))
    console.print(f"user {name} disabled; their sessions have ended")


def user_enable(ctx: typer.Context, name: NameArg) -> None:
    """Let a disabled login log in again."""
    from pipeline.store.users import enable_user

    _change(ctx, lambda s: enable_user(s, name, actor=CLI_ACTOR))
    console.print(f"user {name} enabled")


def user_passwd(
    ctx: typer.Context,
    name: NameArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
) -> None:
    """Set a new password; the user's sessions end."""
    from pipeline.store.users import set_password

    password = read_password(password_stdin)
    _change(ctx, lambda s: set_password(s, name, password, actor=CLI_ACTOR))
    console.print(f"password of {name} changed; their sessions have ended")
