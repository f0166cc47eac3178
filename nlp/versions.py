"""Model versions in a models folder: every trained version is kept, one is active, any can come back.

Layout of a models folder (``nlp.models_dir`` in the config)::

    NAME.joblib, NAME.card.json        the active version (what nlp.analyze loads)
    versions/NAME/VERSION/             every version trained here (same two files)
    serving.joblib                     the merged serving bundle of the active versions

A model that has no active file in the folder is served from the shipped defaults
(``nlp/resources/models``); the shipped version is listed too, and "rolling back" to it removes
the folder's active copy.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from nlp.exceptions import ModelNotFoundError
from nlp.train import DEFAULT_MODELS_DIR, ModelCard, load_card, write_bundle

log = logging.getLogger(__name__)

FILES = ("{name}.joblib", "{name}.card.json")


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    created: str
    metrics: dict[str, float]
    active: bool
    shipped: bool


def _files(name: str) -> list[str]:
    return [f.format(name=name) for f in FILES]


def archive(models_dir: Path, name: str, source: Path | None = None) -> Path:
    """Keep a copy of the model in ``source`` (default: the active one) under ``versions/``."""
    source = source or models_dir
    card = load_card(name, source)
    if card is None:
        raise ModelNotFoundError(f"no {name!r} model in {source}")
    dest = models_dir / "versions" / name / card.version
    if not dest.exists():
        dest.mkdir(parents=True)
        for f in _files(name):
            shutil.copy2(source / f, dest / f)
    return dest


def list_versions(models_dir: Path | None, name: str) -> list[ModelVersion]:
    """The shipped version and every version kept in ``models_dir``, oldest first, active marked."""
    shipped = load_card(name, DEFAULT_MODELS_DIR)
    active = load_card(name, models_dir) if models_dir is not None else None
    current = active or shipped
    active_version = current.version if current is not None else None
    cards: dict[str, tuple[ModelCard, bool]] = {}
    if shipped is not None:
        cards[shipped.version] = (shipped, True)
    if models_dir is not None and (models_dir / "versions" / name).is_dir():
        for d in (models_dir / "versions" / name).iterdir():
            card = load_card(name, d)
            if card is not None:
                cards.setdefault(card.version, (card, False))
    if active is not None:
        cards.setdefault(active.version, (active, False))
    out = [ModelVersion(name, c.version, c.created, c.metrics, c.version == active_version, is_shipped)
           for c, is_shipped in cards.values()]
    return sorted(out, key=lambda v: (not v.shipped, v.created, v.version))


def activate(models_dir: Path, name: str, version: str) -> ModelVersion:
    """Make ``version`` the active one (the shipped version: drop the folder's active copy)."""
    versions = {v.version: v for v in list_versions(models_dir, name)}
    if version not in versions:
        raise ModelNotFoundError(f"no {name!r} version {version!r}; `yuqing models` lists them: "
                                 f"{', '.join(versions)}")
    current = load_card(name, models_dir)
    if current is not None:
        archive(models_dir, name)
    if versions[version].shipped:
        for f in _files(name):
            (models_dir / f).unlink(missing_ok=True)
    else:
        src = models_dir / "versions" / name / version
        for f in _files(name):
            shutil.copy2(src / f, models_dir / f)
    (models_dir / "serving.joblib").unlink(missing_ok=True)
    write_bundle(models_dir)
    log.info("model %s: version %s is active", name, version)
    return versions[version]


def previous_version(models_dir: Path, name: str) -> str | None:
    """The version trained (or shipped) before the active one, if any."""
    versions = list_versions(models_dir, name)
    for i, v in enumerate(versions):
        if v.active:
            return versions[i - 1].version if i > 0 else None
    return None


def install(models_dir: Path, name: str, staged: Path) -> Path:
    """Make the model trained into ``staged`` the active one; the one it replaces stays in ``versions/``."""
    models_dir.mkdir(parents=True, exist_ok=True)
    if load_card(name, models_dir) is not None:
        archive(models_dir, name)
    dest = archive(models_dir, name, staged)
    for f in _files(name):
        shutil.copy2(dest / f, models_dir / f)
    (models_dir / "serving.joblib").unlink(missing_ok=True)
    write_bundle(models_dir)
    return dest
