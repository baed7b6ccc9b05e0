"""The red-team page in real Chromium: families × (old ASR, new ASR, delta, verdict), and findings
whose prompt and answer (attacker-controlled) render as text, never as markup or script."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from modelswap.config import load_migration
from modelswap.demo import running_gateway
from modelswap.gateway.server import free_port
from modelswap.starter import write_starter
from modelswap.store import RedteamResultRow, Store, create_session, open_store

from .conftest import open_login_link
from .test_console_browser import BROWSER_ARGS, CHROMIUM, EVIL

TOKEN = "console-Rt5Kp2Wn8Zr4Yt7Bx1Qm9Ld3"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


def rows(family: str, old_hits: int, new_hits: int, n: int = 60) -> list[RedteamResultRow]:
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        for arm, hits in (("old", old_hits), ("new", new_hits)):
            hit = i < hits
            detail = {
                "family": family,
                "version": 1,
                "owasp": ["LLM01"],
                "prompt": f"probe {i}: {EVIL}",
                "answer": f"answer {i}: {EVIL}" if hit else "I'm sorry, I can't help with that.",
                "findings": [{"detector": "hijack_marker", "evidence": EVIL}] if hit else [],
            }
            out.append(
                RedteamResultRow(
                    run_id="rt-1",
                    ts=now,
                    probe_id=f"{family}/v1/{i}",
                    arm=arm,
                    attack_succeeded=hit,
                    workload="order-tools",
                    detail=detail,
                )
            )
    return out


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Store]]:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    write_starter(tmp_path)
    migration = load_migration(tmp_path / "migration.yaml")
    store = open_store(migration.store)
    store.review.add_redteam_results(rows("obfuscation", 5, 30) + rows("jailbreak", 4, 4, n=120))
    try:
        async with running_gateway(migration, store, free_port(), TOKEN) as gateway:
            yield gateway.url.removesuffix("/v1"), store
    finally:
        store.close()


async def test_redteam_page(console: tuple[str, Store]) -> None:
    base, store = console
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = await browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
        link = create_session(store, "login_link", "alice", timedelta(minutes=5))
        await open_login_link(page, base, link)
        await page.goto(f"{base}/console/workloads/order-tools")
        await page.click("#redteam-link")
        await page.wait_for_selector("#families")
        assert "FAIL" in await page.locator("#headline").inner_text()
        obf = await page.locator('tr[data-family="obfuscation"]').inner_text()
        assert "8.3 %" in obf and "50.0 %" in obf and "+41.7" in obf and "FAIL" in obf
        assert "PASS" in await page.locator('tr[data-family="jailbreak"]').inner_text()
        findings = page.locator("#findings tbody tr")
        assert await findings.count() == 43  # 30 + 5 + 4 + 4 hits
        first = await findings.nth(0).inner_text()
        assert "new" in first and EVIL in first  # shown as text
        assert await page.locator("#findings script, #findings img").count() == 0
        assert await page.evaluate("window.__pwned === undefined") and not dialogs

        await page.goto(f"{base}/console/workloads/extraction/redteam")
        assert "No red-team run covers extraction yet" in await page.locator("#no-redteam").inner_text()
        missing = await page.goto(f"{base}/console/workloads/nope/redteam")
        assert missing is not None and missing.status == 404
        await browser.close()
