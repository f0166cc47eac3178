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


def _cross_check(config: Config) -> list[ConfigIssue]:
    """References between sections: names unique, topics, supervisors and webhooks exist,
    retention longer than the event window."""
    issues: list[ConfigIssue] = []
    topic_names = {t.name for t in config.topics}
    webhook_names = {w.name for w in config.webhooks}
    monitor_names = {m.name for m in config.monitors}

    def dupes(kind: str, names: list[str]) -> None:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                issues.append(ConfigIssue(path=f"{kind}[{i}].name", message="duplicate name; names must be unique",
                                          value=name))
            seen.add(name)

    dupes("sources", [s.name for s in config.sources])
    dupes("topics", [t.name for t in config.topics])
    dupes("monitors", [m.name for m in config.monitors])
    dupes("webhooks", [w.name for w in config.webhooks])
    dupes("alerts.rules", [r.name for r in config.alerts.rules])
    known = ", ".join(sorted(topic_names)) or "(none defined)"
    for i, monitor in enumerate(config.monitors):
        for j, topic in enumerate(monitor.topics):
            if topic not in topic_names:
                issues.append(ConfigIssue(path=f"monitors[{i}].topics[{j}]",
                                          message=f"no such topic; defined topics: {known}", value=topic))
        if monitor.supervisor is not None and monitor.supervisor not in monitor_names:
            issues.append(ConfigIssue(path=f"monitors[{i}].supervisor",
                                      message="no monitor of that name; the supervisor must be listed in monitors",
                                      value=monitor.supervisor))
        for j, hook in enumerate(monitor.webhooks):
            if hook not in webhook_names:
                issues.append(ConfigIssue(path=f"monitors[{i}].webhooks[{j}]",
                                          message="no webhook of that name in webhooks", value=hook))
    for i, rule in enumerate(config.alerts.rules):
        for j, topic in enumerate(rule.topics):
            if topic not in topic_names:
                issues.append(ConfigIssue(path=f"alerts.rules[{i}].topics[{j}]",
                                          message=f"no such topic; defined topics: {known}", value=topic))
    for i, source in enumerate(config.sources):
        for j, topic in enumerate(source.topics):
            if topic not in topic_names:
                issues.append(ConfigIssue(path=f"sources[{i}].topics[{j}]",
                                          message=f"no such topic; defined topics: {known}", value=topic))
    keep_posts, window = config.retention.posts, config.process.event_window
    if keep_posts is not None and keep_posts <= window:
        issues.append(ConfigIssue(path="retention.posts", value=str(keep_posts),
                                  message=f"must be longer than process.event_window ({window}): "
                                          "posts still joining events would be deleted"))
    issues.extend(_check_topic_expressions(config))
    return issues


def _check_topic_expressions(config: Config) -> list[ConfigIssue]:
    try:
        from nlp.rules import RuleSyntaxError, compile_rule
    except ImportError:  # the rule compiler ships with nlp; without it nothing to check
        return []
    issues = []
    for i, topic in enumerate(config.topics):
        try:
            compile_rule(topic.expression)
        except RuleSyntaxError as exc:
            issues.append(ConfigIssue(path=f"topics[{i}].expression", message=str(exc), value=topic.expression))
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
        raise ConfigError(source, issues) from None
    issues.extend(_cross_check(config))
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
