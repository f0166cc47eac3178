from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.grades import Grade
from pipeline.config import ConfigError, format_duration, load_config, parse_config, parse_duration

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def issues_of(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), environ=environ or {})
    return [str(i) for i in info.value.issues]


def test_shipped_config_is_valid_and_identical_to_the_starter() -> None:
    config = load_config(REPO / "config.yaml", environ={})
    assert config.timezone == "Asia/Shanghai"
    assert {s.kind for s in config.sources} == {"list", "forum", "feed", "sitemap", "import", "hotlist"}
    assert config.alerts.deadlines[Grade.I] == timedelta(hours=1)
    assert config.alerts.deadlines[Grade.IV] == timedelta(hours=2)
    assert (REPO / "config.yaml").read_bytes() == (REPO / "pipeline/resources/config.yaml").read_bytes()


def test_empty_file_gives_embedded_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), environ={})
    assert config.database_url == f"sqlite:///{tmp_path / 'var/yuqing.db'}"
    assert config.alerts.deadlines == {Grade.I: timedelta(hours=1), Grade.II: timedelta(hours=1),
                                       Grade.III: timedelta(hours=2), Grade.IV: timedelta(hours=2)}


def test_five_mistakes_are_all_listed(tmp_path: Path) -> None:
    found = issues_of(tmp_path, """
timezone: Asia/Shanghia
colour: blue
sources:
  - name: news
    kind: lst
    start_urls: ["http://a.example/"]
    every: 10 minutes
smtp:
  port: seventy
""")
    assert len(found) == 5, found
    joined = "\n".join(found)
    assert "timezone: 'Asia/Shanghia' is not an IANA time zone" in joined
    assert "colour: unknown key; valid keys here: storage, timezone" in joined
    assert ("sources[0].kind: Input should be 'list', 'forum', 'feed', 'sitemap', 'import' or 'hotlist' (got 'lst')"
            in joined)
    assert "sources[0].every: '10 minutes' is not a duration; write e.g. 30s" in joined
    assert "smtp.port:" in joined and "'seventy'" in joined


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp: {password: hunter2}", "smtp.password: secrets are never written in the config file"),
        ("smtp: {password: '${NOPE}'}", "smtp.password: environment variable NOPE is not set"),
        ("sources: [{name: a, kind: list}]", "sources[0]: a list source needs at least one start_urls"),
        ("sources: [{name: 'a b', kind: feed, start_urls: ['http://x/']}]", "sources[0].name: names use letters"),
        ("sources: [{name: h, kind: hotlist}]", "a hotlist source needs platform"),
        ("sources: [{name: h, kind: hotlist, platform: dailyhot}]", "aggregator: give base_url"),
        ("sources: [{name: f, kind: list, start_urls: ['http://x/'], every: 5m, cron: '* * * * *'}]",
         "either every or cron"),
        ("sources: [{name: f, kind: list, start_urls: ['http://x/'], cron: 'every day'}]",
         "not a 5-field cron expression"),
        ("sources: [{name: f, kind: list, start_urls: ['ftp://x/']}]", "'ftp://x/' is not an http(s) URL"),
        ("sources: [{name: f, kind: import}]", "needs folder"),
        ("monitors: [{name: a, email: nobody}]", "monitors[0].email: not an e-mail address"),
        ("monitors: [{name: a, email: a@b.cn, topics: [x]}]", "monitors[0].topics[0]: no such topic"),
        ("monitors: [{name: a, email: a@b.cn, supervisor: b}]", "monitors[0].supervisor: no monitor of that name"),
        ("alerts: {deadlines: {V: 1h}}", "alerts.deadlines.V"),
        ("alerts: {rules: [{name: r, categories: [gossip]}]}", "alerts.rules[0].categories[0]"),
        ("alerts: {rules: [{name: r, min_relevance: 2}]}", "alerts.rules[0].min_relevance"),
        ("storage: {url: 'mysql://x'}", "storage.url"),
        ("digest: {time: '25:00'}", "digest.time"),
        ("webhooks: [{name: w, url: 'https://hook'}]", "webhooks[0].url: secrets are never written"),
        ("sources: [{name: a, kind: list, start_urls: ['http://x/']}, {name: a, kind: feed, start_urls: ['http://y/']}]",
         "sources[1].name: duplicate name"),
        ("- just\n- a list", "the file must be a mapping"),
        ("key: [unclosed", "not valid YAML: line 1"),
        ("crawl: {download_delay: -1}", "crawl.download_delay"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    found = "\n".join(issues_of(tmp_path, text))
    assert expected in found


def test_secret_written_in_file_is_not_echoed(tmp_path: Path) -> None:
    found = "\n".join(issues_of(tmp_path, "smtp: {password: hunter2}"))
    assert "hunter2" not in found


def test_secret_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "smtp: {password: '${SMTP_PW}'}\nwebhooks: [{name: w, kind: wecom, url: '${HOOK}'}]")
    config = load_config(path, environ={"SMTP_PW": "s3cret", "HOOK": "https://qyapi.example/send?key=1"})
    assert config.smtp.password is not None and config.smtp.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)
    assert config.webhooks[0].url.get_secret_value().endswith("key=1")


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="yuqing init"):
        load_config(tmp_path / "absent.yaml", environ={})


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "timezone: Europe/Berlin")
    assert load_config(environ={"YUQING_CONFIG": str(path)}).timezone == "Europe/Berlin"


def test_durations_round_trip() -> None:
    for text, seconds in [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("90m", 5400)]:
        assert parse_duration(text).total_seconds() == seconds
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)
    with pytest.raises(ValueError, match="positive"):
        parse_duration("0s")


def test_source_defaults(tmp_path: Path) -> None:
    config = parse_config({"sources": [{"name": "n", "kind": "list", "start_urls": ["https://a.example.cn/x"]}]},
                          base_dir=tmp_path, environ={})
    source = config.sources[0]
    assert source.schedule_every == timedelta(minutes=10)
    assert source.domains() == ["a.example.cn"]
    assert str(config.source_timezone(source)) == "Asia/Shanghai"


def test_config_is_frozen(tmp_path: Path) -> None:
    config = parse_config({}, base_dir=tmp_path, environ={})
    with pytest.raises(Exception, match="frozen"):
        config.timezone = "UTC"  # type: ignore[misc]


def test_starter_copies_cleanly(tmp_path: Path) -> None:
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    config = load_config(tmp_path / "config.yaml", environ={})
    assert config.database_url.startswith(f"sqlite:///{tmp_path}")


def test_references_are_reported_with_the_other_errors(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, """
sources:
  - {name: a, kind: lst, start_urls: ["http://x.cn/"], topics: [gone]}
topics:
  - {name: t, label: 生育, expression: "三孩"}
monitors:
  - {name: m, email: m@x.cn, topics: [nosuch], supervisor: nobody}
""")
    assert any(i.startswith("sources[0].kind:") for i in issues)  # a schema error …
    # … and in the same run every cross-reference, which used to wait until the schema errors were fixed
    assert any(i.startswith("monitors[0].topics[0]: no such topic; defined topics: t") for i in issues)
    assert any(i.startswith("sources[0].topics[0]: no such topic") for i in issues)
    assert any(i.startswith("monitors[0].supervisor: no monitor of that name") for i in issues)


def test_the_caret_stands_under_the_bad_character_in_chinese_text(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, """
topics:
  - {name: t, label: 生育, expression: "三孩补贴 ) 生育"}
""")
    (issue,) = issues
    expression, caret = issue.splitlines()[-2:]
    assert expression == "三孩补贴 ) 生育"
    # 三孩补贴 is eight terminal columns wide, the space one: the caret is in column ten, under ')'
    assert caret == " " * 9 + "^"


def test_a_bad_deadline_grade_names_its_key_plainly(tmp_path: Path) -> None:
    (issue,) = issues_of(tmp_path, "alerts:\n  deadlines: {V: 1h}\n")
    assert issue.startswith("alerts.deadlines.V: Input should be 'I', 'II', 'III' or 'IV'")
def test_the_readme_source_examples_validate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import yaml as _yaml

    from pipeline.config import parse_config

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Sources: one example of each kind")[1].split("```yaml")[1].split("```")[0]
    config = parse_config(_yaml.safe_load(block), base_dir=tmp_path, environ={}, source="README.md")
    kinds = {s.kind for s in config.sources}
    assert kinds == {"list", "forum", "feed", "sitemap", "import", "hotlist"}
    assert config.source("weibo-hot").start_urls == ["https://weibo.com/ajax/side/hotSearch"]
