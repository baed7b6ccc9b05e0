"""The rollout page in a real browser: the headline with its hold timer, canary-vs-control figures
with intervals, a fired trigger, and pause / approve recorded with the signed-in name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import async_playwright

from modelswap.config import load_migration
from modelswap.gateway.server import free_port
from modelswap.rollout import flag
from modelswap.serving import build_gateway
from modelswap.starter import write_starter
from modelswap.store import EvidenceRow, RequestRow, Store, create_session, open_store, record_evidence

from .conftest import open_login_link

CHROMIUM = "/usr/bin/chromium"
TOKEN = "console-Vb7Nq2Xr9Kd4Wm6Tz3Hp8Ls1"
W = "ticket-triage"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


def rows(arm: str, n: int, errors: int, since: datetime) -> list[RequestRow]:
    return [
        RequestRow(
            ts=since + timedelta(seconds=i),
            workload=W,
            arm=arm,
            endpoint=arm,
            model=arm,
            status=500 if i < errors else 200,
            latency_ms=100.0 + i % 50,
            cost_usd=0.001,
        )
        for i in range(n)
    ]


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Store]]:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    write_starter(tmp_path)
    migration = load_migration(tmp_path / "migration.yaml")
    store = open_store(migration.store)
    started = datetime.now(UTC) - timedelta(hours=31)
    flag.set_stage(store, W, "split", 1, "ana", "canary", at=started)
    store.insert_records(rows("old", 3000, 30, started) + rows("new", 300, 30, started), [])
    probe = {"summary": "not probed: the old endpoint refused the connection"}
    failed = EvidenceRow(kind="retention_probe", ts=started, source="probe", ok=False, workload=W, figures=probe)
    record_evidence(store, failed)
    app = build_gateway(migration, store=store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.should_exit = True
        await task
        store.close()


async def test_the_rollout_page_shows_the_canary_and_records_who_paused_it(console: tuple[str, Store]) -> None:
    base, store = console
    link = create_session(store, "login_link", "ana", timedelta(minutes=5))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page()
        await open_login_link(page, base, link)
        await page.goto(f"{base}/console/workloads/{W}")
        await page.click("#rollout-link")
        headline = await page.inner_text("#headline")
        assert headline.startswith("canary 1 % · 31") and headline.endswith("h of 48 · failing"), headline
        assert await page.inner_text("#verdict") == "failing"
        figures = await page.inner_text("#figures")
        assert "canary (new)\t300\t10.00 % [" in figures and "control (old)\t3000\t1.00 % [" in figures
        triggers = await page.inner_text("#triggers")
        assert "FIRED error_rate: new 10.00 % vs old 1.00 %" in triggers
        assert "hold ends" in await page.inner_text("#steps")
        assert "refused the connection" in await page.inner_text("#probe-alert")

        await page.fill("#rollout-reason", "marketing launch")
        await page.click("#pause")
        await page.wait_for_selector("#resume")
        first = await page.inner_text("#events tbody tr:first-child")
        assert "ana" in first and "pause" in first and "marketing launch" in first
        await page.click("#approve")
        await page.wait_for_selector("text=Approved: 10 % by ana")
        await browser.close()
    (approve, pause, *_) = store.rollout_events(W)
    assert (approve.action, approve.actor, pause.action, pause.reason) == (
        "approve",
        "ana",
        "pause",
        "marketing launch",
    )
