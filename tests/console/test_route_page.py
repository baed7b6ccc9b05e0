"""The routing page in real Chromium, at 1440×900 and 390×844: the latest calibration's threshold and
held-out figures with intervals, the cost–quality curve (chart and table), and the states before one."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from modelswap.config import load_migration
from modelswap.demo import running_gateway
from modelswap.gateway.server import free_port
from modelswap.routing.calibrate import CaseOutcome, calibrate
from modelswap.routing.replay import Replay
from modelswap.routing.stored import calibration_row
from modelswap.starter import write_starter
from modelswap.store import Store, create_session, open_store

from .conftest import open_login_link
from .test_console_browser import (
    ARTIFACTS,
    BROWSER_ARGS,
    CHROMIUM,
    DESKTOP,
    PHONE,
    _no_sideways_scroll,
    _smallest_chart_text_px,
    _title_inside,
)

TOKEN = "console-Rq7Lp3Xn9Zt2Wk5Bv8Mc1Hd4"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


def _replay() -> Replay:
    rng = random.Random(5)
    cases = []
    for i in range(400):
        cheap_ok = rng.random() < 0.8
        conf = round(min(1.0, max(0.0, (0.8 if cheap_ok else 0.2) + rng.gauss(0, 0.15))), 2)
        cases.append(CaseOutcome(f"c{i:03d}", cheap_ok, rng.random() < 0.94, 0.05, 1.0, conf))
    return Replay("extraction", "run-12345678", "claude-haiku-5-5", "claude-sonnet-5-5", True, tuple(cases), ())


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Store, float]]:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    write_starter(tmp_path, "sonnet-to-haiku-routing", today=date(2026, 12, 2))
    migration = load_migration(tmp_path / "migration.yaml")
    store = open_store(migration.store)
    replayed = _replay()
    result = calibrate(replayed.cases, margin_points=2.0, seed=1)
    assert result.threshold is not None and result.verification is not None
    signal = {"type": "verifier", "scorer": {"type": "json_valid"}}
    store.routing.add_calibration(calibration_row(replayed, result, signal, datetime.now(UTC) - timedelta(hours=1)))
    try:
        async with running_gateway(migration, store, free_port(), TOKEN) as gateway:
            yield gateway.url.removesuffix("/v1"), store, result.verification.saving
    finally:
        store.close()


async def _signed_in(browser: Browser, base: str, store: Store, viewport: dict[str, int]) -> Page:
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    link = create_session(store, "login_link", "alice", timedelta(minutes=5))
    await open_login_link(page, base, link)
    return page


async def test_routing_page_on_desktop_and_phone(console: tuple[str, Store, float]) -> None:
    base, store, saving = console
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = await _signed_in(browser, base, store, viewport)
            await page.goto(f"{base}/console/workloads/extraction")
            await page.click("#routing-link")
            await page.wait_for_selector("#curve")
            headline = await page.locator("#headline").inner_text()
            assert "claude-haiku-5-5 first" in headline
            assert await page.locator("#saving").inner_text() == f"{saving * 100:.1f} %"
            cut = await page.locator('#verification td[data-label="cost cut"]').inner_text()
            assert cut.startswith(f"{saving * 100:.1f} % [") and cut.endswith("]")
            rows = page.locator("#curve tbody tr")
            assert await rows.count() > 3 and await page.locator("#curve tr.picked").count() == 1
            assert await page.locator("#curve-chart svg.chart polyline").count() == 3
            assert await page.locator("#not-written").count() == 1, "the file still holds the uncalibrated 0.5"
            assert await _no_sideways_scroll(page), f"{name}: the page scrolls sideways"
            assert await _title_inside(page, "#curve-chart svg.chart"), f"{name}: the chart title is cut off"
            assert await _smallest_chart_text_px(page) >= 8.5, f"{name}: chart text too small to read"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"routing-{name}.png"), full_page=True)
            await page.context.close()
        page = await _signed_in(browser, base, store, DESKTOP)
        missing = await page.goto(f"{base}/console/workloads/nope/routing")
        assert missing is not None and missing.status == 404
        await browser.close()
