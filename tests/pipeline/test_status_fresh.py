"""`yuqing status` before anything ran: it lists the configured sources and never creates a database."""

from __future__ import annotations

from pathlib import Path

from tests.pipeline.test_cli_setup import yuqing


def test_status_on_a_fresh_database_lists_every_configured_source(tmp_path: Path) -> None:
    assert yuqing("init", "office", cwd=tmp_path).returncode == 0
    result = yuqing("--config", "office/config.yaml", "status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("province-hc-news", "city-forum", "vendor-files"):
        line = next(line for line in result.stdout.splitlines() if name in line)
        assert "not crawled yet" in line


def test_status_without_a_database_says_how_to_create_one_and_leaves_no_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("storage: {url: 'sqlite:///var/yuqing.db'}\n", encoding="utf-8")
    result = yuqing("status", cwd=tmp_path)
    assert result.returncode == 1
    assert "no database at" in result.stderr and "yuqing db upgrade" in result.stderr
    assert not (tmp_path / "var" / "yuqing.db").exists()
