"""The review pages in real Chromium: two reviewers sign in by their own login links, review a
drawn set with the keyboard (blind sides, model revealed after the verdict), disagree, and the
review page shows kappa, the conflicts and the human_review gate. Model outputs carrying XSS
payloads render as text, and the pair page fits a 390 px phone screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from modelswap.config import HumanReviewGate, load_migration
from modelswap.gates import decide_human_review
from modelswap.review.review_set import create_review_set
from modelswap.serving import build_gateway
from modelswap.starter import write_starter
from modelswap.store import RequestRow, ShadowPairRow, Store, create_session, open_store

from .conftest import open_login_link, serving

CHROMIUM = "/usr/bin/chromium"
TOKEN = "console-Rv7Nq2Xr9Kd4Wm6Tz3Hp8Ls1"
EVIL = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned=true">'
PAIRS = 6

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


def chat(content: str, calls: list[dict[str, object]] | None = None) -> dict[str, object]:
    message: dict[str, object] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return {"choices": [{"message": message}]}


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Store]]:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    write_starter(tmp_path)
    migration = load_migration(tmp_path / "migration.yaml")
    store = open_store(migration.store)
    now = datetime.now(UTC)
    reqs, pairs = [], []
    call = {"type": "function", "function": {"name": "lookup_order", "arguments": '{"id": "<b>7</b>"}'}}
    for i in range(PAIRS):
        question = {"messages": [{"role": "user", "content": f"question {i} {EVIL}"}]}
        r = RequestRow(
            ts=now - timedelta(minutes=i), workload="extraction", arm="old", endpoint="old", model="gpt-4o",
            status=200, latency_ms=5.0, request_body=question, response_body=chat(f"old answer {i} {EVIL}"),
        )  # fmt: skip
        new_body = (
            chat('{"total": 3, "note": "' + EVIL.replace('"', "'") + '"}')
            if i == 0
            else chat(f"new answer {i} {EVIL}", [call] if i == 1 else None)
        )
        reqs.append(r)
        pairs.append(
            ShadowPairRow(request_id=r.id, ts=r.ts, arm="new", model="gpt-5", status=200, response_body=new_body)
        )
    store.insert_records(reqs, pairs)
    create_review_set(store, ["extraction"], size=PAIRS, floor=PAIRS, seed=1, actor="lead", now=now)
    app = build_gateway(migration, store=store, flush_interval_s=0.05)
    try:
        async with serving(app) as base:
            yield base, store
    finally:
        store.close()


async def signed_in(browser: Browser, base: str, store: Store, who: str, width: int = 1280) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    link = create_session(store, "login_link", who, timedelta(minutes=5))
    await open_login_link(page, base, link)
    return page


async def review_all(page: Page, base: str, key: str) -> list[str]:
    """Review every pair with one key, moving on with n; returns which side was new on each."""
    await page.goto(f"{base}/console/review")
    await page.click("#start")
    sides = []
    for i in range(PAIRS):
        await page.wait_for_selector("#verdict")
        assert "#revealed" not in await page.content()  # blind until the verdict
        assert await page.locator("#revealed").count() == 0
        await page.keyboard.press(key)
        await page.wait_for_selector("#revealed")
        sides.append(await page.inner_text("#revealed"))
        assert await page.evaluate("window.__pwned === undefined")
        if i + 1 < PAIRS:
            await page.keyboard.press("n")
            await page.wait_for_url(f"**/console/review/pairs/{i + 1}")
    return sides


async def test_two_reviewers_disagree_and_the_gate_shows(console: tuple[str, Store]) -> None:
    base, store = console
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        ana = await signed_in(browser, base, store, "ana")
        ana_sides = await review_all(ana, base, "1")  # ana: answer A better, every time
        bo = await signed_in(browser, base, store, "bo")
        bo_sides = await review_all(bo, base, "3")  # bo: the same, every time
        assert all("Your verdict: same" in s for s in bo_sides)
        assert any("old better" in s for s in ana_sides) or any("new better" in s for s in ana_sides)

        # XSS payloads in the question, answers, JSON and tool calls are shown as text.
        await ana.goto(f"{base}/console/review/pairs/0")
        assert EVIL in await ana.inner_text("#question")
        assert "recorded redacted" in await ana.inner_text("#redacted-policy")  # the starter's record_bodies
        await ana.goto(f"{base}/console/review/pairs/2")
        assert EVIL in await ana.inner_text("#side-a") and EVIL in await ana.inner_text("#side-b")
        assert await ana.locator("#pair img").count() == 0
        await ana.goto(f"{base}/console/review/pairs/0")
        assert await ana.locator("#pair img").count() == 0 and await ana.locator("main script").count() == 1
        assert await ana.evaluate("window.__pwned === undefined")
        await ana.keyboard.press("d")  # the word diff view
        assert await ana.locator("#diff ins").count() > 0
        assert await ana.is_visible("#diff") and not await ana.is_visible("#side-a")

        await ana.goto(f"{base}/console/review")
        assert "ana" in await ana.inner_text("#progress") and "bo" in await ana.inner_text("#progress")
        assert "Cohen's kappa" in await ana.inner_text("#kappa")
        assert await ana.locator("#conflicts a").count() == PAIRS
        # Each pair: ana's "A better" means old better on the pairs where A was the old model.
        worse = [0.5 if "old better" in s else 0.0 for s in ana_sides]
        expected = decide_human_review(worse, None, HumanReviewGate())
        assert expected.verdict != "PASS"  # six pairs can never pass (at least 30 are needed)
        gate = ana.locator("#gates tr[data-workload=extraction] .verdict")
        assert await gate.inner_text() == expected.verdict
        assert expected.reason in await ana.inner_text("#gates tr[data-workload=extraction]")

        # A phone: the pair stacks its two answers and nothing runs off the side.
        phone = await signed_in(browser, base, store, "cy", width=390)
        await phone.goto(f"{base}/console/review/pairs/1")
        width = await phone.evaluate("document.getElementById('pair').scrollWidth")
        assert width <= 390
        box_a, box_b = await phone.locator("#side-a").bounding_box(), await phone.locator("#side-b").bounding_box()
        assert box_a and box_b and box_b["y"] > box_a["y"]
        assert await phone.locator("table.tools td").first.inner_text() in ("lookup_order", '{"id": "<b>7</b>"}')
        await browser.close()
