"""The digest's 7-day trend chart: a PNG with Chinese labels (matplotlib, Agg backend).

matplotlib's own fonts have no Chinese glyphs (they come out as boxes). We register the
first CJK font found: Noto Sans SC from the ``pylopdf-fonts-zh-cn`` wheel when installed,
else Debian's WenQuanYi Micro Hei or Noto Sans CJK. Figures are built per call, never at import.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SYSTEM_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def _wheel_fonts() -> list[Path]:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return []
    folder = Path(pylopdf_fonts_zh_cn.__file__).resolve().parent
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc"))


@lru_cache(maxsize=1)
def cjk_font_family() -> str | None:
    """Register a CJK font with matplotlib; returns its family name, or None if none is installed."""
    from matplotlib import font_manager

    for path in [*_wheel_fonts(), *(Path(p) for p in SYSTEM_CJK_FONTS)]:
        if not path.is_file():
            continue
        try:
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("cannot load CJK font", extra={"font": str(path), "error": str(exc)})
            continue
        return name
    log.warning("no CJK font found: Chinese chart labels will show as boxes "
                "(pip install pylopdf-fonts-zh-cn, or apt-get install fonts-wqy-microhei)")
    return None


def trend_png(days: Sequence[date], series: dict[str, Sequence[int]], *, title: str) -> bytes:
    """A line chart of daily counts, one line per series (Chinese labels), as PNG bytes."""
    return line_png([f"{d.month}月{d.day}日" for d in days], series, title=title)


def line_png(labels: Sequence[str], series: Mapping[str, Sequence[float]], *, title: str, ylabel: str = "条数",
             percent: bool = False, size: tuple[float, float] = (7.2, 3.0)) -> bytes:
    """A line chart over ``labels`` (days, hours), one line per series, as PNG bytes.

    ``percent``: the values are shares (0–1), drawn and annotated as percentages.
    """
    import matplotlib
    from matplotlib.figure import Figure  # a bare Figure renders with Agg; no pyplot, no GUI backend

    family = cjk_font_family()
    rc: dict[str, Any] = {"axes.unicode_minus": False, "font.size": 10}
    if family:
        rc["font.sans-serif"] = [family, "DejaVu Sans"]
        rc["font.family"] = "sans-serif"
    labels = list(labels)
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        fig = Figure(figsize=size, dpi=100)
        ax = fig.add_subplot()
        colours = ("#1976d2", "#d32f2f", "#f57c00", "#388e3c")
        dense = len(labels) > 14  # a month of days: no per-point numbers, fewer tick labels
        for (name, raw), colour in zip(series.items(), colours, strict=False):
            values = [v * 100 for v in raw] if percent else list(raw)
            ax.plot(labels, values, marker="" if dense else "o", label=name, color=colour, linewidth=2)
            if not dense:
                for x, y in zip(labels, values, strict=True):
                    text = f"{y:.0f}%" if percent else str(int(y))
                    ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=8)
        if dense:
            step = max(1, len(labels) // 10)
            ax.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)])
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0, top=100 if percent else None)
        ax.legend(loc="upper left", frameon=False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()
