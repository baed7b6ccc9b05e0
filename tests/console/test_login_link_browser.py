"""A one-time login link in real Chromium: opening it shows a confirm page; only its button signs in.

Link previews (chat apps, mail scanners) fetch a URL as soon as it is pasted; a GET that used the
link up would leave the person who clicked it a dead link.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from modelswap.config import Migration
from modelswap.console.access import COOKIE
from modelswap.serving import build_gateway
from modelswap.store import Store, create_session

from .conftest import serving
from .test_console_browser import ARTIFACTS, BROWSER_ARGS, CHROMIUM, DESKTOP, PHONE

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_a_previewed_link_still_signs_in_from_its_confirm_page(
    migration: Migration, store: Store, viewport: dict[str, int]
) -> None:
    link = create_session(store, "login_link", "dana", timedelta(minutes=5))
    async with serving(build_gateway(migration, store=store)) as base, async_playwright() as pw:
        url = f"{base}/console/login?link={link}"
        async with httpx.AsyncClient() as previewer:  # what a chat app's unfurler does
            assert (await previewer.get(url)).status_code == 200
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = await browser.new_page(viewport=viewport)
        await page.goto(url)
        button = page.locator("#use-link")
        box = await button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert COOKIE not in {c["name"] for c in await page.context.cookies()}, "opening the link signs nobody in"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"login-link-{viewport['width']}.png"), full_page=True)
        async with page.expect_navigation():
            await button.click()
        assert page.url.rstrip("/").endswith("/console"), page.url
        await page.wait_for_selector("#workloads")
        assert "dana" in await page.content(), "signed in as the name the link was made for"

        again = await browser.new_page(viewport=viewport)  # the link is used up now
        await again.goto(url)
        async with again.expect_navigation():
            await again.click("#use-link")
        assert "already used or expired" in await again.content()
        await browser.close()
