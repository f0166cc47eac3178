"""The set-up commands, run as a user runs them: the real `yuqing` program in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db import make_engine, session_factory
from pipeline.models import User

REPO = Path(__file__).resolve().parents[2]


def yuqing(*args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    full_env.update(env or {})
    full_env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, input=stdin, text=True,
                          capture_output=True, env=full_env, timeout=120)


def test_init_then_check_config_then_user_add(tmp_path: Path) -> None:
    result = yuqing("init", "office", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "office/config.yaml").exists()
    assert (tmp_path / "office/var/yuqing.db").exists()

    result = yuqing("--config", "office/config.yaml", "check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout and "province-hc-news" in result.stdout

    result = yuqing("--config", "office/config.yaml", "user", "add", "王敏", "--role", "analyst",
                    "--password-stdin", cwd=tmp_path, stdin="a long password\n")
    assert result.returncode == 0, result.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'office/var/yuqing.db'}")
    with session_factory(engine)() as s:
        user = s.scalar(select(User))
        assert user is not None and user.name == "王敏" and user.role == "analyst"
        assert "a long password" not in user.password_hash
    engine.dispose()

    again = yuqing("--config", "office/config.yaml", "user", "add", "王敏", "--role", "analyst",
                   "--password-stdin", cwd=tmp_path, stdin="a long password\n")
    assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr

    upgraded = yuqing("--config", "office/config.yaml", "db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0 and "already at" in upgraded.stdout


def test_check_config_lists_every_mistake(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "timezone: Mars/Olympus\nbogus: 1\nsources:\n  - {name: x, kind: rss, start_urls: ['http://a/']}\n"
        "smtp: {port: 0, password: plain}\n", encoding="utf-8")
    result = yuqing("check-config", cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert len(lines) == 5, result.stderr
    for key in ("timezone:", "bogus:", "sources[0].kind:", "smtp.port:", "smtp.password:"):
        assert any(line.strip().startswith(key) for line in lines), (key, result.stderr)


def test_config_from_environment_variable(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yaml").write_text("timezone: UTC\n", encoding="utf-8")
    result = yuqing("check-config", cwd=tmp_path, env={"YUQING_CONFIG": str(tmp_path / "elsewhere.yaml")})
    assert result.returncode == 0 and "timezone UTC" in result.stdout


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_corrupt_sqlite_file(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var/yuqing.db").write_bytes(b"this is not a database at all" * 200)
    (tmp_path / "config.yaml").write_text("", encoding="utf-8")
    line = _one_error_line(yuqing("db", "upgrade", cwd=tmp_path))
    assert "not a SQLite database" in line


def test_postgres_refusing_connections(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "storage: {url: 'postgresql+psycopg://postgres@127.0.0.1:1/none'}\n", encoding="utf-8")
    line = _one_error_line(yuqing("db", "upgrade", cwd=tmp_path))
    assert "refuses connections" in line and "127.0.0.1:1" in line


@pytest.fixture
def readonly_dir(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A folder nobody can write to: a read-only tmpfs when root (root ignores modes), else mode 0555."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                                 capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a read-only tmpfs: {mounted.stderr.decode().strip()}")
        yield folder
        subprocess.run(["umount", str(folder)], check=False)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_read_only_data_folder(tmp_path: Path, readonly_dir: Path) -> None:
    (tmp_path / "config.yaml").write_text(f"storage: {{url: 'sqlite:///{readonly_dir}/yuqing.db'}}\n",
                                          encoding="utf-8")
    line = _one_error_line(yuqing("db", "upgrade", cwd=tmp_path))
    assert "read-only" in line and str(readonly_dir) in line


def test_missing_config_says_run_init(tmp_path: Path) -> None:
    result = yuqing("check-config", cwd=tmp_path)
    assert result.returncode == 1 and "yuqing init" in result.stderr


def test_commands_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("", encoding="utf-8")
    result = yuqing("user", "add", "a", "--role", "admin", "--password-stdin", cwd=tmp_path, stdin="password1\n")
    assert result.returncode == 1 and "yuqing db upgrade" in result.stderr


def test_unknown_role_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("", encoding="utf-8")
    result = yuqing("user", "add", "a", "--role", "boss", "--password-stdin", cwd=tmp_path, stdin="password1\n")
    assert result.returncode == 1 and "analyst, monitor, approver, admin" in result.stderr
