"""The digest of a seeded day, rendered by headless chromium: the Chinese text and the chart are there."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from pipeline.db import transaction
from pipeline.digest import build_digest
from tests.alerts.seeding import digest_config_overrides, seed_digest_week

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_digest_renders_with_chinese_text_and_chart(factory, make_config, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    config = make_config(**digest_config_overrides())
    day = date(2026, 3, 5)
    with transaction(factory) as session:
        seed_digest_week(session, datetime.combine(day, time(0), tzinfo=config.tz))
        result = build_digest(session, config, day)
    page_file = tmp_path / "digest.html"
    page_file.write_text(result.standalone_html(), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 860, "height": 1200})
            page.goto(page_file.as_uri())
            text = page.inner_text("body")
            chart = page.evaluate("""() => { const img = document.querySelector('img[alt*="走势"]');
                return img ? [img.complete, img.naturalWidth, img.naturalHeight] : null; }""")
            # A Chinese string drawn with a CJK font is as wide as its characters; boxes (tofu) or
            # a missing font would still be as wide, so also compare with a Latin string of the same length.
            widths = page.evaluate("""() => { const c = document.createElement('canvas').getContext('2d');
                c.font = '16px "WenQuanYi Micro Hei", "Noto Sans SC", sans-serif';
                return [c.measureText('舆情日报').width, c.measureText('iiii').width]; }""")
            page.screenshot(path=str(tmp_path / "digest.png"), full_page=True)
            # cells such as "III级", "王敏", "已确认接收（新）" stay on one line, even in a narrow window
            page.set_viewport_size({"width": 560, "height": 1200})
            wrapped = page.evaluate("""() => [...document.querySelectorAll('td')]
                .filter(td => td.style.whiteSpace === 'nowrap')
                .filter(td => { const range = document.createRange(); range.selectNodeContents(td);
                                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1; })
                .map(td => td.textContent.trim())""")
            kept = page.evaluate("""() => [...document.querySelectorAll('td')]
                .filter(td => td.style.whiteSpace === 'nowrap').map(td => td.textContent.trim())""")
        finally:
            browser.close()
    for needle in ("舆情日报", "数据不完整", "总体情况", "热点事件", "三孩育儿补贴如何申领引热议", "谣言与回应",
                   "未回应", "回应效果评估", "dead-forum"):
        assert needle in text, needle
    assert "<script>" in text  # the hostile title is shown as text, not run
    assert chart is not None and chart[0] and chart[1] >= 700 and chart[2] >= 250
    assert widths[0] > 2 * widths[1]
    assert wrapped == [], wrapped
    assert {"III级", "王敏"} <= set(kept) and any(k.endswith("（新）") for k in kept), kept
    assert (tmp_path / "digest.png").stat().st_size > 50_000
