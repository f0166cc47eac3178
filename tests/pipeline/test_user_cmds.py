"""`yuqing user list|disable|enable|passwd`, run as an administrator runs them, and audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pipeline.db import make_engine, session_factory
from pipeline.models import AuditEntry, User
from pipeline.store.users import authenticate
from tests.pipeline.test_cli_setup import yuqing


def test_user_list_disable_enable_passwd(tmp_path: Path) -> None:
    assert yuqing("init", "office", cwd=tmp_path).returncode == 0
    cfg = ("--config", "office/config.yaml")
    for name, role in (("王敏", "analyst"), ("lee", "approver")):
        added = yuqing(*cfg, "user", "add", name, "--role", role, "--password-stdin", cwd=tmp_path,
                       stdin="a long password\n")
        assert added.returncode == 0, added.stderr

    listed = yuqing(*cfg, "user", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "王敏" in listed.stdout and "analyst" in listed.stdout and "lee" in listed.stdout

    disabled = yuqing(*cfg, "user", "disable", "王敏", cwd=tmp_path)
    assert disabled.returncode == 0, disabled.stderr
    assert "disabled" in yuqing(*cfg, "user", "list", cwd=tmp_path).stdout
    missing = yuqing(*cfg, "user", "disable", "nobody", cwd=tmp_path)
    assert missing.returncode != 0 and "nobody" in missing.stderr

    short = yuqing(*cfg, "user", "passwd", "lee", "--password-stdin", cwd=tmp_path, stdin="short\n")
    assert short.returncode != 0 and "too short" in short.stderr
    changed = yuqing(*cfg, "user", "passwd", "lee", "--password-stdin", cwd=tmp_path, stdin="another long one\n")
    assert changed.returncode == 0, changed.stderr
    assert yuqing(*cfg, "user", "enable", "王敏", cwd=tmp_path).returncode == 0

    engine = make_engine(f"sqlite:///{tmp_path / 'office/var/yuqing.db'}")
    with session_factory(engine)() as s:
        assert s.scalar(select(User.active).where(User.name == "王敏")) is True
        assert authenticate(s, "lee", "another long one") is not None
        assert authenticate(s, "lee", "a long password") is None
        audited = [(e.action, e.object_id) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    engine.dispose()
    assert audited == [("user_add", "王敏"), ("user_add", "lee"), ("user_disable", "王敏"), ("user_passwd", "lee"),
                       ("user_enable", "王敏")]
