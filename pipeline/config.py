"""The whole configuration: one typed, validated model, read once and passed in.

`load_config` is the only place that reads the config file or the environment.
Secrets are never written in the file: a secret field holds a ``${ENV_VAR}``
reference that is resolved here, from the ``environ`` mapping the caller passes.
Relative paths (the SQLite file, template folders, output folders) are resolved
against the folder of the config file.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.config_sections import (
    AlertRuleConfig,
    AlertsConfig,
    Config,
    CrawlConfig,
    DigestConfig,
    MonitorConfig,
    NlpConfig,
    NotifyConfig,
    ProcessConfig,
    ReportsConfig,
    RetentionConfig,
    ReviewConfig,
    Selectors,
    SmtpConfig,
    SourceConfig,
    StorageConfig,
    TopicConfig,
    WebhookConfig,
)
from pipeline.config_types import EnvValue, format_duration, parse_duration

__all__ = [
    "CONFIG_ENV_VAR", "DEFAULT_CONFIG_NAME", "STARTER_CONFIG", "AlertRuleConfig", "AlertsConfig", "Config",
    "ConfigError", "ConfigIssue", "CrawlConfig", "DigestConfig", "MonitorConfig", "NlpConfig", "NotifyConfig",
    "ProcessConfig", "ReportsConfig", "RetentionConfig", "ReviewConfig", "Selectors", "SmtpConfig", "SourceConfig",
    "StorageConfig", "TopicConfig", "WebhookConfig", "config_file_path", "default_config", "format_duration",
    "load_config", "parse_config", "parse_duration",
]

DEFAULT_CONFIG_NAME = "config.yaml"
STARTER_CONFIG = Path(__file__).resolve().parent / "resources" / "config.yaml"
CONFIG_ENV_VAR = "YUQING_CONFIG"
_ENV_REF_RE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class ConfigIssue(BaseModel):
    """One problem in a config file: where, what was there, and how to fix it."""

    path: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (got {_short(self.value)})"
        return f"{self.path or '<file>'}: {self.message}{shown}"


class ConfigError(Exception):
    """The config file could not be read or is invalid; ``issues`` lists every problem."""

    def __init__(self, source: str, issues: list[ConfigIssue]) -> None:
        self.source = source
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{source}: {len(issues)} problem(s)\n{lines}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _resolve_env(node: Any, environ: Mapping[str, str], path: str, issues: list[ConfigIssue]) -> Any:
    """Replace ``${VAR}`` strings by a marker carrying the variable's value."""
    if isinstance(node, dict):
        return {k: _resolve_env(v, environ, f"{path}.{k}" if path else str(k), issues) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_env(v, environ, f"{path}[{i}]", issues) for i, v in enumerate(node)]
    if isinstance(node, str):
        match = _ENV_REF_RE.match(node.strip())
        if match:
            name = match.group(1)
            if name not in environ:
                issues.append(ConfigIssue(path=path, message=f"environment variable {name} is not set", value=node))
                return None
            return EnvValue(environ[name])
    return node


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for "the key itself is bad": the path already ends at it
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc`` (for unknown-key hints)."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ()) or ()
        candidates = [annotation, *args]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _issues_from(exc: ValidationError) -> list[ConfigIssue]:
    issues = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = _loc_to_path(loc)
        value = err.get("input")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            owner = _model_at(loc)
            known = ", ".join(k for k in owner.model_fields if k != "base_dir") if owner else ""
            message = "unknown key" + (f"; valid keys here: {known}" if known else "")
            value = None
        elif err["type"] == "string_pattern_mismatch" and loc and loc[-1] == "name":
            message = "names use letters, digits, '-', '_' or '.', no spaces, at most 64 characters"
        elif err["type"] == "string_pattern_mismatch" and loc and loc[-1] == "email":
            message = "not an e-mail address; write e.g. someone@example.gov.cn"
        elif err["type"] == "missing":
            message = "required key is missing"
            value = None
        if message.startswith("secrets are never"):
            value = None  # never echo a secret written in the file
        elif isinstance(value, EnvValue):
            value = "${…}"
        elif isinstance(value, dict | list):
            value = None
        issues.append(ConfigIssue(path=path, message=message, value=value))
    return issues


def _entries(node: Any, key: str) -> list[dict[str, Any]]:
    """The list under ``key`` as mappings (anything malformed becomes {}: validation reports it)."""
    value = node.get(key) if isinstance(node, dict) else None
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def _strings(node: dict[str, Any], key: str) -> list[str]:
    value = node.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _references(config: Config) -> dict[str, Any]:
    """The parts of a valid config that other parts refer to, in the shape of the raw file."""
    return {
        "sources": [{"name": s.name, "topics": s.topics} for s in config.sources],
        "topics": [{"name": t.name, "expression": t.expression} for t in config.topics],
        "monitors": [{"name": m.name, "topics": m.topics, "supervisor": m.supervisor, "webhooks": m.webhooks}
                     for m in config.monitors],
        "webhooks": [{"name": w.name} for w in config.webhooks],
        "alerts": {"rules": [{"name": r.name, "topics": r.topics} for r in config.alerts.rules]},
    }


def _cross_check(data: dict[str, Any]) -> list[ConfigIssue]:
    """References between sections: names unique, topics, supervisors and webhooks exist, topic
    expressions parse. Works on the raw data too, so that these are reported with the other errors."""
    issues: list[ConfigIssue] = []
    topics, monitors = _entries(data, "topics"), _entries(data, "monitors")
    topic_names = {t.get("name") for t in topics}
    webhook_names = {w.get("name") for w in _entries(data, "webhooks")}
    monitor_names = {m.get("name") for m in monitors}
    rules = _entries(data.get("alerts"), "rules")

    def dupes(kind: str, entries: list[dict[str, Any]]) -> None:
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            name = entry.get("name")
            if not isinstance(name, str):
                continue
            if name in seen:
                issues.append(ConfigIssue(path=f"{kind}[{i}].name", message="duplicate name; names must be unique",
                                          value=name))
            seen.add(name)

    sources = _entries(data, "sources")
    for kind, entries in (("sources", sources), ("topics", topics), ("monitors", monitors),
                          ("webhooks", _entries(data, "webhooks")), ("alerts.rules", rules)):
        dupes(kind, entries)
    known = ", ".join(sorted(n for n in topic_names if isinstance(n, str))) or "(none defined)"

    def topic_refs(kind: str, entries: list[dict[str, Any]]) -> None:
        for i, entry in enumerate(entries):
            for j, topic in enumerate(_strings(entry, "topics")):
                if topic not in topic_names:
                    issues.append(ConfigIssue(path=f"{kind}[{i}].topics[{j}]",
                                              message=f"no such topic; defined topics: {known}", value=topic))

    topic_refs("monitors", monitors)
    for i, monitor in enumerate(monitors):
        supervisor = monitor.get("supervisor")
        if isinstance(supervisor, str) and supervisor not in monitor_names:
            issues.append(ConfigIssue(path=f"monitors[{i}].supervisor",
                                      message="no monitor of that name; the supervisor must be listed in monitors",
                                      value=supervisor))
        for j, hook in enumerate(_strings(monitor, "webhooks")):
            if hook not in webhook_names:
                issues.append(ConfigIssue(path=f"monitors[{i}].webhooks[{j}]",
                                          message="no webhook of that name in webhooks", value=hook))
    topic_refs("alerts.rules", rules)
    topic_refs("sources", sources)
    issues.extend(_check_topic_expressions(topics))
    return issues


def _check_retention(config: Config) -> list[ConfigIssue]:
    keep_posts, window = config.retention.posts, config.process.event_window
    if keep_posts is not None and keep_posts <= window:
        return [ConfigIssue(path="retention.posts", value=str(keep_posts),
                            message=f"must be longer than process.event_window ({window}): "
                                    "posts still joining events would be deleted")]
    return []


def _check_topic_expressions(topics: list[dict[str, Any]]) -> list[ConfigIssue]:
    try:
        from nlp.rules import RuleSyntaxError, compile_rule
    except ImportError:  # the rule compiler ships with nlp; without it nothing to check
        return []
    issues = []
    for i, topic in enumerate(topics):
        expression = topic.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            continue  # missing or empty: the schema reports it
        try:
            compile_rule(expression)
        except RuleSyntaxError as exc:
            issues.append(ConfigIssue(path=f"topics[{i}].expression", message=str(exc)))
    return issues


def parse_config(data: Any, *, base_dir: Path, environ: Mapping[str, str], source: str = "<config>") -> Config:
    """Validate already-parsed YAML data. Raises `ConfigError` listing every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigIssue(path="", message="the file must be a mapping of keys to values")])
    issues: list[ConfigIssue] = []
    resolved = _resolve_env(data, environ, "", issues)
    try:
        config = Config.model_validate({**resolved, "base_dir": base_dir})
    except ValidationError as exc:
        issues.extend(_issues_from(exc))
        issues.extend(_cross_check(resolved))  # every mistake at once, references too
        raise ConfigError(source, issues) from None
    issues.extend(_cross_check(_references(config)))
    issues.extend(_check_retention(config))
    if issues:
        raise ConfigError(source, issues)
    return config


def config_file_path(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """``path``, else ``$YUQING_CONFIG``, else ``./config.yaml``."""
    env = os.environ if environ is None else environ
    return path if path is not None else Path(env.get(CONFIG_ENV_VAR, DEFAULT_CONFIG_NAME))


def load_config(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file (``path``, else ``$YUQING_CONFIG``, else ``./config.yaml``)."""
    env = os.environ if environ is None else environ
    path = config_file_path(path, env)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, [ConfigIssue(path="", message="file not found; run `yuqing init` to write one")]) \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [ConfigIssue(path="", message=f"cannot read the file: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [ConfigIssue(path="", message=f"not valid YAML: {where}{problem}")]) from None
    return parse_config(data, base_dir=path.resolve().parent, environ=env, source=source)


def default_config(base_dir: Path, **overrides: Any) -> Config:
    """The embedded defaults (used by `yuqing demo` and tests), with optional overrides."""
    return parse_config(overrides, base_dir=base_dir, environ={}, source="<defaults>")
