"""Logins: hashed passwords (argon2), roles, and what ends a user's sessions.

Every session cookie carries the user's ``session_version``; logging out, changing the
password and disabling the user bump it, so every cookie issued before stops working at
once (on every device: the price of keeping sessions in signed cookies). Changes are audited.
"""

from __future__ import annotations

from functools import cache
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.exceptions import DuplicateUser, YuqingError
from pipeline.models import User
from pipeline.store import audit

Role = Literal["analyst", "monitor", "approver", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise YuqingError(f"the password is too short; use at least {MIN_PASSWORD_LENGTH} characters")


def add_user(session: Session, name: str, role: str, password: str, *, actor: str | None = None) -> User:
    if role not in ROLES:
        raise YuqingError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not name.strip():
        raise YuqingError("the user name is empty")
    _check_password(password)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise DuplicateUser(f"a user named {name!r} exists already")
    user = User(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user_add", "user", name, role=role)
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with that name and password, else None (same cost either way)."""
    user = session.scalar(select(User).where(User.name == name, User.active.is_(True)))
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is not None and _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown names, so both cases take the same time."""
    return _hasher.hash("not a real password")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def _existing(session: Session, name: str) -> User:
    user = get_user(session, name)
    if user is None:
        raise YuqingError(f"no user named {name!r}")
    return user


def end_sessions(session: Session, name: str) -> None:
    """Make every session cookie of ``name`` issued so far invalid."""
    _existing(session, name).session_version += 1
    session.flush()


def disable_user(session: Session, name: str, *, actor: str | None = None) -> User:
    """The user can no longer log in, and their sessions end now."""
    user = _existing(session, name)
    user.active = False
    user.session_version += 1
    audit.record(session, actor, "user_disable", "user", name)
    session.flush()
    return user


def enable_user(session: Session, name: str, *, actor: str | None = None) -> User:
    """The user may log in again (sessions ended by disabling stay ended)."""
    user = _existing(session, name)
    user.active = True
    audit.record(session, actor, "user_enable", "user", name)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str, *, actor: str | None = None) -> User:
    """A new password; every session of the user ends."""
    _check_password(password)
    user = _existing(session, name)
    user.password_hash = hash_password(password)
    user.session_version += 1
    audit.record(session, actor, "user_passwd", "user", name)
    session.flush()
    return user
