"""The "which model?" page in a real browser: reached from the workload page, its Pareto chart and
ranking show the stored choice (front, pick, figures), on a desktop and on a phone without sideways
scrolling. Screenshots at 1440×900 and 390×844 go to ``$MODELSWAP_TEST_ARTIFACTS/console/``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from playwright.async_api import Page, async_playwright

from modelswap.choose.report import workload_from_json
from modelswap.choose.run import run_choice
from modelswap.config import load_migration
from modelswap.gateway.server import free_port
from modelswap.serving import build_gateway
from modelswap.starter import write_starter
from modelswap.store import Store, create_session, open_store
from modelswap.store.choices import ChoiceRow, latest_choice

from .conftest import open_login_link
from .test_console_browser import (
    ARTIFACTS,
    BROWSER_ARGS,
    CHROMIUM,
    DESKTOP,
    PHONE,
    TOKEN,
    _no_sideways_scroll,
    _smallest_chart_text_px,
    _title_inside,
)

W = "ticket-triage"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Store, ChoiceRow]]:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    write_starter(tmp_path)
    config = tmp_path / "migration.yaml"
    doc: dict[str, Any] = yaml.safe_load(config.read_text())
    doc["endpoints"]["mini"] = {"provider": "sim", "model": "gpt-4o-mini"}
    doc["simulator"]["time_scale"] = 0.02
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    migration = load_migration(config)
    store = open_store(migration.store)
    await run_choice(migration, store, ["new", "mini", "claude-haiku-4-5"], today=date.today(), workloads=[W], limit=80)
    row = latest_choice(store, W)
    assert row is not None
    app = build_gateway(migration, store=store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", store, row
    finally:
        server.should_exit = True
        await task
        store.close()


async def _check_page(page: Page, row: ChoiceRow) -> None:
    choice = workload_from_json(row.figures)
    headline = await page.inner_text("#headline")
    if row.pick:
        assert await page.inner_text("#pick") == row.pick
    else:
        assert "No candidate passes every gate" in headline
    assert (await page.inner_text("#front")).strip() == ", ".join(choice.ranking.front)
    names = await page.eval_on_selector_all("#pareto-chart g.point", "gs => gs.map(g => g.dataset.name)")
    assert sorted(names) == sorted(["old", *(r.figures.name for r in choice.ranking.rows)])
    front = await page.eval_on_selector_all("#pareto-chart g.point.front", "gs => gs.map(g => g.dataset.name)")
    assert sorted(front) == sorted(choice.ranking.front)
    ranked = await page.eval_on_selector_all("#ranking tbody tr[data-name]", "rs => rs.map(r => r.dataset.name)")
    assert ranked == [r.figures.name for r in choice.ranking.rows]
    body = await page.inner_text("#ranking")
    for r in choice.ranking.rows:
        assert r.figures.pass_rate.value is not None and f"{r.figures.pass_rate.value * 100:.1f} %" in body


async def test_the_choose_page_shows_the_stored_choice_on_desktop_and_phone(
    console: tuple[str, Store, ChoiceRow],
) -> None:
    base, store, row = console
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        for name, viewport in (("choose", DESKTOP), ("choose-phone", PHONE)):
            context = await browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
            page = await context.new_page()
            link = create_session(store, "login_link", "ana", timedelta(minutes=5))
            await open_login_link(page, base, link)
            await page.goto(f"{base}/console/workloads/{W}")
            await page.click("#choose-link")
            await page.wait_for_selector("#pareto-chart svg.pareto")
            await _check_page(page, row)
            assert await _title_inside(page, "#pareto-chart svg"), "the chart's title is cut off"
            if viewport is PHONE:
                assert await _no_sideways_scroll(page)
                assert await _smallest_chart_text_px(page) >= 8.5, "chart text too small to read on a phone"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            await context.close()
        page = await browser.new_page()
        link = create_session(store, "login_link", "ana", timedelta(minutes=5))
        await open_login_link(page, base, link)
        await page.goto(f"{base}/console/workloads/extraction/choose")  # no choice run for this one yet
        assert "No choice run yet" in await page.inner_text("#headline")
        await browser.close()
