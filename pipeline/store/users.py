"""Logins: hashed passwords (argon2) and roles."""

from __future__ import annotations

from functools import cache
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.exceptions import DuplicateUser, YuqingError
from pipeline.models import User

Role = Literal["analyst", "monitor", "approver", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_user(session: Session, name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise YuqingError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not name.strip():
        raise YuqingError("the user name is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise YuqingError(f"the password is too short; use at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise DuplicateUser(f"a user named {name!r} exists already")
    user = User(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
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
