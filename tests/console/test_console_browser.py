"""The console in a real browser (Debian's Chromium driven by Playwright): sign in (form and
one-time link), plan ticks move the progress bar and survive a reload, the Markdown download
holds the tick, untrusted model output renders as text, the rollback button flips serving, and
signing out kills the session cookie; on a phone (390×844) tables become cards, nothing scrolls
sideways and chart text stays legible; dark mode follows the system. Screenshots of each page at
1440×900 and 390×844 are written to ``$MODELSWAP_TEST_ARTIFACTS/console/`` (default: the temp dir),
and the desktop ones to ``docs/`` when ``MODELSWAP_DOCS_SCREENSHOTS=1`` or the docs copy does not exist yet."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Page, async_playwright

from modelswap.config import load_migration
from modelswap.evals.batch import run_workloads
from modelswap.gateway.server import free_port
from modelswap.serving import build_gateway
from modelswap.starter import write_starter
from modelswap.store import RequestRow, ShadowPairRow, Store, create_session, open_store

from .conftest import open_login_link

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MODELSWAP_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "modelswap-test-artifacts")
ARTIFACTS = ARTIFACTS / "console"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CHROMIUM = "/usr/bin/chromium"
TOKEN = "console-Vb7Nq2Xr9Kd4Wm6Tz3Hp8Ls1"
EVIL = '<script>window.__pwned = true; alert("pwned")</script><img src=x onerror="window.__pwned=true">'

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Store]]:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    write_starter(tmp_path)
    config = tmp_path / "migration.yaml"
    config.write_text(config.read_text().replace("time_scale: 1.0 ", "time_scale: 0.0 "))
    migration = load_migration(config)
    store = open_store(migration.store)
    app = build_gateway(migration, store=store, flush_interval_s=0.05)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for i in range(12):
            body = {"model": "gpt-4o", "user": f"u{i}", "messages": [{"role": "user", "content": f"What is {i} * 7?"}]}
            workload = ("ticket-triage", "extraction", "order-tools")[i % 3]
            r = await client.post("/v1/chat/completions", json=body, headers={"x-modelswap-workload": workload})
            assert r.status_code == 200
    await run_workloads(migration, store, arms=["old", "new"])
    for night in (3, 2, 1):
        started = datetime.now(UTC) - timedelta(days=night)
        await run_workloads(migration, store, arms=["old", "new"], nightly=True, started_at=started)
    now = datetime.now(UTC)
    store.insert_records(
        [
            RequestRow(
                id="evil-1",
                ts=now,
                workload="extraction",
                arm="old",
                endpoint="old",
                model="gpt-4o",
                status=200,
                latency_ms=12.0,
                request_body={"messages": [{"role": "user", "content": EVIL}]},
                response_body={"content": EVIL, "tool_calls": []},
            )
        ],
        [
            ShadowPairRow(
                request_id="evil-1",
                ts=now,
                arm="new",
                model="gpt-5",
                status=200,
                latency_ms=20.0,
                response_body={"content": "fine " + EVIL, "tool_calls": []},
            )
        ],
    )
    await asyncio.sleep(0.3)
    try:
        yield base, store
    finally:
        server.should_exit = True
        await task
        store.close()


async def _shot(page: Page, name: str, docs_copy: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    docs = ROOT / "docs" / f"console-{name}.png"
    if docs_copy and (os.environ.get("MODELSWAP_DOCS_SCREENSHOTS") == "1" or not docs.exists()):
        docs.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, docs)


async def _sign_out(page: Page) -> None:
    await page.click("#sign-out")
    await page.wait_for_selector("input[name=token]")


async def _progress(page: Page) -> int:
    return int(await page.get_attribute("#progress-overall", "aria-valuenow") or "0")


async def test_console_end_to_end(console: tuple[str, Store], tmp_path: Path) -> None:
    console_url, store = console
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        context = await browser.new_context(accept_downloads=True, viewport=DESKTOP)
        page = await context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.accept())))

        # signing in: wrong token refused, right token lands on the overview
        await page.goto(console_url + "/console")
        assert "/console/login" in page.url
        await page.fill("input[name=token]", "wrong")
        await page.click("button[type=submit]")
        assert "not the admin token" in await page.content()
        await page.fill("input[name=token]", TOKEN)
        await page.fill("input[name=name]", "alice")
        await page.click("button[type=submit]")
        await page.wait_for_selector("#workloads")
        (cookie,) = await context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
        assert TOKEN not in cookie["value"] and cookie["expires"] > 0, "a random session that expires"
        rows = await page.locator("#workloads tbody tr").count()
        assert rows == 3
        overview = await page.locator("#workloads").inner_text()
        assert "%" in overview and ("PASS" in overview or "FAIL" in overview or "INCONCLUSIVE" in overview)
        headline = await page.locator("#headline h1").inner_text()
        assert headline.split(":")[0] in ("Blocked", "Gathering evidence", "On track", "Not started"), headline
        assert await page.locator("#workloads .status").count() == 3  # a status line per workload
        assert await page.locator("#overview-charts svg.chart").count() >= 3  # share, errors, p95 (cost: if priced)
        small = re.findall(r"\$0\.0*([1-9]\d*)", overview)
        assert small and all(len(digits) <= 3 for digits in small), small  # 3 significant digits, not 5 decimals
        await _shot(page, "overview")

        # the plan: tick an item by hand, the progress bar moves, a reload keeps it
        await page.goto(console_url + "/console/plan")
        before = await _progress(page)
        item = page.locator('li[data-item="inventory"]')
        await item.locator("input[name=by]").fill("alice")
        await item.locator("input[name=note]").fill("volumes from the billing export")
        await item.locator("button[type=submit]").click()
        await page.wait_for_load_state()
        after = await _progress(page)
        assert after > before
        await page.reload()
        assert await _progress(page) == after
        assert "alice (by hand)" in await page.locator('li[data-item="inventory"]').inner_text()
        await _shot(page, "plan")

        # the download holds the tick, with its author and timestamp
        async with page.expect_download() as info:
            await page.click("#download")
        download = await info.value
        target = tmp_path / download.suggested_filename
        await download.save_as(target)
        text = target.read_text()
        assert download.suggested_filename.startswith("modelswap-plan-") and target.suffix == ".md"
        line = next(ln for ln in text.splitlines() if "1. Inventory" in ln)
        assert line.startswith("- [x]")
        assert "alice" in text and datetime.now(UTC).strftime("%Y-%m-%d") in text

        # untrusted model output is shown as text, never run
        await page.goto(console_url + "/console/workloads/extraction")
        await page.wait_for_selector("#pairs")
        assert EVIL in await page.locator("#pairs").inner_text()
        assert await page.locator("svg.chart").count() == 3  # nightly trend, latency, cost per day
        assert await _last_label_inside(page, "svg.chart >> nth=0"), "the nightly chart's last date is clipped"
        assert await page.evaluate("window.__pwned === undefined")
        assert await page.locator("script").count() == 1  # console.js only
        await _shot(page, "workload")

        # the rollback button: a reason, confirm, then every workload serves the old model; undo all restores them
        await page.goto(console_url + "/console")
        await page.click("#rollback-open")
        assert await page.locator("#rollback-actor").inner_text() == "alice"
        await page.fill("#rollback-reason", "p95 doubled on extraction")
        await page.click("#rollback-all")
        await page.wait_for_selector("#workloads .badge.bad")
        assert any("Roll back EVERY workload" in m for m in dialogs)
        assert await page.locator("#workloads .badge.bad").count() == 3
        assert (await page.locator("#headline h1").inner_text()).startswith("Rolled back")
        assert dialogs and all("pwned" not in m for m in dialogs)
        events = store.rollout_events(limit=3)
        assert {(e.action, e.actor, e.reason) for e in events} == {("rollback", "alice", "p95 doubled on extraction")}
        await page.click("#rollback-open")
        await page.fill("#rollback-reason", "false alarm")
        await page.click("#undo-all")
        await page.wait_for_function("document.querySelectorAll('#workloads .badge.bad').length === 0")
        assert {(e.action, e.actor) for e in store.rollout_events(limit=3)} == {("undo_rollback", "alice")}
        await page.click("#rollback-open")
        await page.fill("#rollback-reason", "drill")
        await page.click("#rollback-all")
        await page.wait_for_selector("#workloads .badge.bad")

        # signing out ends the session: the old cookie no longer opens anything
        await page.click("#sign-out")
        await page.wait_for_selector("input[name=token]")
        await page.goto(console_url + "/console/plan")
        assert "/console/login" in page.url
        async with httpx.AsyncClient(base_url=console_url, cookies={cookie["name"]: cookie["value"]}) as old:
            r = await old.get("/console/plan")
            assert r.status_code == 303 and r.headers["location"].startswith("/console/login")

        # a one-time login link signs in once; the second visit is refused
        link = create_session(store, "login_link", "carol", timedelta(minutes=5))
        await open_login_link(page, console_url, link)
        await page.wait_for_selector("#workloads")
        await _sign_out(page)
        await open_login_link(page, console_url, link)
        assert "already used or expired" in await page.content()
        assert "/console/login" in page.url
        await browser.close()

    async with httpx.AsyncClient(base_url=console_url) as client:
        body = {"model": "gpt-4o", "user": "u1", "messages": [{"role": "user", "content": "What is 1 + 1?"}]}
        r = await client.post("/v1/chat/completions", json=body)
        assert r.headers["x-modelswap-arm"] == "old"


async def _last_label_inside(page: Page, chart: str) -> bool:
    """Whether the last x-axis label of ``chart`` is drawn inside the chart's box."""
    return bool(
        await page.locator(chart).evaluate(
            """svg => { const box = svg.getBoundingClientRect();
                        const ticks = [...svg.querySelectorAll('text.tick')];
                        const last = ticks.filter(t => +t.getAttribute('y') > 180).pop();
                        if (!last) return true;
                        const r = last.getBoundingClientRect();
                        return r.right <= box.right + 0.5 && r.left >= box.left - 0.5; }"""
        )
    )


async def _title_inside(page: Page, chart: str) -> bool:
    """Whether the chart's title text ends inside the chart's box."""
    return bool(
        await page.locator(chart).evaluate(
            """svg => { const t = svg.querySelector('text.title'); if (!t) return true;
                        return t.getBoundingClientRect().right <= svg.getBoundingClientRect().right + 0.5; }"""
        )
    )


async def _sign_in(page: Page, console_url: str, name: str) -> None:
    await page.goto(console_url + "/console/login")
    await page.fill("input[name=token]", TOKEN)
    await page.fill("input[name=name]", name)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#workloads")


async def _no_sideways_scroll(page: Page) -> bool:
    """Nothing on the page reaches past the screen's right edge (no scrolling sideways, no cut-off chip)."""
    return bool(
        await page.evaluate(
            """document.documentElement.scrollWidth <= innerWidth + 1 &&
               [...document.querySelectorAll('main *:not(svg *)')]
                 .every(e => e.getBoundingClientRect().right <= innerWidth + 1)"""
        )
    )


async def _smallest_chart_text_px(page: Page) -> float:
    return float(
        await page.evaluate(
            "Math.min(...[...document.querySelectorAll('svg.chart text')].map(t => t.getBoundingClientRect().height)"
            ".filter(h => h > 0))"
        )
    )


async def test_console_on_a_phone_and_in_dark_mode(console: tuple[str, Store]) -> None:
    console_url, _ = console
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        phone = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page = await phone.new_page()
        await _sign_in(page, console_url, "bob")
        assert await _no_sideways_scroll(page), "the overview is wider than the phone"
        assert await page.locator("#workloads thead").is_hidden()  # rows are cards, each cell labelled
        card = page.locator("#workloads tbody tr").first
        assert (await card.bounding_box() or {"width": 999})["width"] <= PHONE["width"]
        labels = await card.evaluate(
            "tr => [...tr.cells].map(td => getComputedStyle(td, '::before').content).join(' ')"
        )
        assert '"pass rate new"' in labels and '"p95 old"' in labels
        assert await _smallest_chart_text_px(page) >= 8.5, "chart text too small to read on a phone"
        for i in range(await page.locator("svg.chart").count()):
            assert await _title_inside(page, f"svg.chart >> nth={i}"), "an overview chart title is cut off"
        await _shot(page, "overview-phone", docs_copy=False)
        for path, name in (("/console/plan", "plan-phone"), ("/console/workloads/extraction", "workload-phone")):
            await page.goto(console_url + path)
            assert await _no_sideways_scroll(page), f"{path} is wider than the phone"
            for i in range(await page.locator("svg.chart").count()):
                assert await _title_inside(page, f"svg.chart >> nth={i}"), f"a chart title on {path} is cut off"
            await _shot(page, name, docs_copy=False)
        await page.goto(console_url + "/console")
        await page.click("#rollback-open")
        box = await page.locator("#rollback-panel form").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1

        dark = await browser.new_context(viewport=DESKTOP, color_scheme="dark")
        page = await dark.new_page()
        await _sign_in(page, console_url, "bob")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in background.removeprefix("rgb(").removesuffix(")").split(",")[:3]]
        assert max(channels) < 64, f"dark mode background is {background}"
        await _shot(page, "overview-dark", docs_copy=False)
        await browser.close()


async def test_console_is_closed_without_an_admin_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSWAP_ADMIN_TOKEN", raising=False)
    write_starter(tmp_path)
    migration = load_migration(tmp_path / "migration.yaml")
    app = build_gateway(migration)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        r = await client.get("/console")
        assert r.status_code == 403 and "MODELSWAP_ADMIN_TOKEN" in r.text
        r = await client.get("/console/login?token=guess")
        assert r.status_code == 403 and "set-cookie" not in r.headers
