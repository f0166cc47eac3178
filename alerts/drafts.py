"""Response drafts from Jinja2 templates, one per category (DESIGN §1, seed 四(五)).

A draft is plain text the monitor completes and the spokesperson approves. The shipped
templates live in ``alerts/templates/<category>.j2``; a folder named in config
(``alerts.templates_dir``) overrides them file by file. Every fact the software cannot
know is written as 【待核实：...】 so nobody can publish a draft without completing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from alerts.exceptions import TemplateError
from nlp.categories import CATEGORY_NAMES_ZH, Category

SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"
PENDING_MARK = "【待核实"


def pending(what: str) -> str:
    """A place the monitor must complete: 【待核实：what】."""
    return f"【待核实：{what}】"


@dataclass(frozen=True)
class DraftContext:
    """What a response template knows about the event behind an alert."""

    category: str
    title: str
    topic: str | None = None
    topic_label: str | None = None
    summary: str = ""
    claim: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    timezone: str = "Asia/Shanghai"
    sources: Sequence[str] = field(default_factory=tuple)
    post_count: int = 0
    source_count: int = 0
    negative_share: float = 0.0
    grade: str | None = None
    monitor: str | None = None
    contact: str | None = None
    urls: Sequence[str] = field(default_factory=tuple)

    @property
    def category_zh(self) -> str:
        try:
            return CATEGORY_NAMES_ZH[Category(self.category)]
        except ValueError:
            return self.category

    @property
    def topic_name(self) -> str:
        return self.topic_label or self.topic or "相关工作"

    def _local(self, value: datetime | None) -> str:
        if value is None:
            return pending("时间")
        local = value.astimezone(ZoneInfo(self.timezone))
        return f"{local.year}年{local.month}月{local.day}日{local:%H:%M}"

    @property
    def first_seen_text(self) -> str:
        return self._local(self.first_seen)

    @property
    def last_seen_text(self) -> str:
        return self._local(self.last_seen)

    @property
    def sources_text(self) -> str:
        return "、".join(self.sources[:5]) + ("等" if len(self.sources) > 5 else "") if self.sources else ""

    @property
    def contact_text(self) -> str:
        return self.contact or pending("联系电话")


def template_name(category: str) -> str:
    """The template file for ``category``; unknown categories use ``other.j2``."""
    known = {c.value for c in Category}
    return f"{category if category in known else Category.OTHER.value}.j2"


@lru_cache(maxsize=16)
def _environment(templates_dir: Path | None) -> jinja2.Environment:
    folders = [str(SHIPPED_TEMPLATES)]
    if templates_dir is not None:
        folders.insert(0, str(templates_dir))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=False,  # plain text; whoever shows it as HTML escapes it there
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["pending"] = pending
    return env


def render_draft(category: str, context: DraftContext, templates_dir: Path | None = None) -> str:
    """The first response draft for an event of ``category``, from its template.

    ``templates_dir`` (from ``alerts.templates_dir``) overrides the shipped templates
    file by file. Raises `TemplateError` with the file name when a template is broken.
    """
    name = template_name(category)
    env = _environment(templates_dir.resolve() if templates_dir is not None else None)
    try:
        template = env.get_template(name)
        text = template.render(ctx=context, c=context)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"no response template {name} in {templates_dir or SHIPPED_TEMPLATES}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"response template {exc.filename or name} line {exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"response template {name}: {exc.message}") from None
    return text.strip() + "\n"
