"""Signing in to the console: server-side sessions, one-time links, throttling, bounded forms."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from modelswap.cli.app import app as cli
from modelswap.config import Migration
from modelswap.console.access import COOKIE, MAX_FORM_BYTES, csrf_of
from modelswap.serving import build_gateway
from modelswap.store import Store, create_session, schema

from .conftest import TOKEN, Client, console_migration

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def sign_in(c: httpx.AsyncClient, token: str = TOKEN) -> httpx.Response:
    return await c.post("/console/login", data={"token": token, "next": "/console/plan"})


def csrf_on(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "a signed-in page carries a CSRF token"
    return found.group(1)


async def test_the_admin_token_in_a_url_never_signs_in(client: Client) -> None:
    c = client()
    r = await c.get("/console/login", params={"token": TOKEN})
    assert r.status_code == 400
    assert "never goes in a URL" in r.text and COOKIE not in r.headers.get("set-cookie", "")
    assert (await c.get("/console")).status_code == 303, "still signed out"


async def test_sign_in_gives_a_random_expiring_session_cookie(client: Client, store: Store) -> None:
    c = client()
    r = await sign_in(c)
    assert r.status_code == 303 and r.headers["location"] == "/console/plan"
    cookie = r.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/console", "Max-Age=43200"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower(), "plain HTTP from an untrusted peer"
    value = c.cookies[COOKIE]
    assert TOKEN not in value and len(value) >= 40
    assert r.headers["referrer-policy"] == "no-referrer"
    again = client()
    await sign_in(again)
    assert again.cookies[COOKIE] != value, "each sign-in is a new session"
    assert (await c.get("/console/plan")).status_code == 200


async def test_the_old_cookie_is_dead_after_sign_out(client: Client) -> None:
    c = client()
    await sign_in(c)
    cookie = c.cookies[COOKIE]
    page = (await c.get("/console/plan")).text
    r = await c.post("/console/logout", data={"csrf": csrf_on(page)})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    replay = client()
    replay.cookies.set(COOKIE, cookie)
    r = await replay.get("/console/plan")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


async def test_sign_out_needs_the_sessions_csrf_token(client: Client) -> None:
    c = client()
    await sign_in(c)
    r = await c.post("/console/logout", data={"csrf": "0" * 32})
    assert r.status_code == 403
    assert (await c.get("/console/plan")).status_code == 200, "still signed in"


async def test_a_session_stops_working_when_it_expires(client: Client, store: Store) -> None:
    c = client()
    await sign_in(c)
    assert (await c.get("/console")).status_code == 200
    with store.engine.begin() as conn:
        conn.execute(sa.update(schema.console_sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    r = await c.get("/console")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


async def test_csrf_tokens_belong_to_one_session(client: Client) -> None:
    first, second = client(), client()
    await sign_in(first)
    await sign_in(second)
    token_a = csrf_on((await first.get("/console/plan")).text)
    token_b = csrf_on((await second.get("/console/plan")).text)
    assert token_a == csrf_of(first.cookies[COOKIE]) and token_a != token_b
    r = await first.post("/console/rollback", data={"csrf": token_b})
    assert r.status_code == 403, "another session's CSRF token is refused"


def _nonce_on(page: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', page)
    assert found, "the confirm page carries a nonce"
    return found.group(1)


async def use_link(c: httpx.AsyncClient, link: str) -> httpx.Response:
    """Open a login link and press its confirm page's button, as a browser does."""
    page = await c.get("/console/login", params={"link": link})
    assert page.status_code == 200 and 'id="use-link"' in page.text
    return await c.post("/console/login", data={"link": link, "next": "/console", "nonce": _nonce_on(page.text)})


async def test_a_login_link_works_once(client: Client, store: Store) -> None:
    link = create_session(store, "login_link", "dana", timedelta(minutes=5))
    c = client()
    r = await use_link(c, link)
    assert r.status_code == 303 and c.cookies[COOKIE] != link
    assert (await c.get("/console")).status_code == 200
    again = client()
    r = await use_link(again, link)
    assert r.status_code == 401 and "already used or expired" in r.text and COOKIE not in again.cookies


async def test_opening_a_login_link_does_not_use_it(client: Client, store: Store) -> None:
    """Link previews (chat apps, mail scanners) fetch the URL: only the confirm page's POST signs in."""
    link = create_session(store, "login_link", "dana", timedelta(minutes=5))
    previewer = client("192.0.2.50")
    for _ in range(3):
        r = await previewer.get("/console/login", params={"link": link})
        assert r.status_code == 200 and COOKIE not in previewer.cookies
    assert (await previewer.get("/console")).status_code == 303, "a preview is not signed in"
    person = client()
    assert (await use_link(person, link)).status_code == 303
    assert (await person.get("/console")).status_code == 200


async def test_a_link_posted_without_its_confirm_page_is_refused_and_kept(client: Client, store: Store) -> None:
    """Login CSRF: another site posting a link (with no nonce cookie, or a nonce of its own) fails."""
    link = create_session(store, "login_link", "mallory", timedelta(minutes=5))
    victim = client()
    r = await victim.post("/console/login", data={"link": link, "nonce": "made-up"})
    assert r.status_code == 403 and COOKIE not in victim.cookies and "press the button again" in r.text
    other = client()
    own = _nonce_on((await other.get("/console/login", params={"link": link})).text)
    fresh = client()
    await fresh.get("/console/login", params={"link": link})
    r = await fresh.post("/console/login", data={"link": link, "nonce": own})
    assert r.status_code == 403, "a nonce from another browser's page does not match this one's cookie"
    assert (await use_link(client(), link)).status_code == 303, "the refused POSTs did not use the link up"


async def test_an_expired_login_link_is_refused(client: Client, store: Store) -> None:
    link = create_session(store, "login_link", "dana", timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1))
    r = await use_link(client(), link)
    assert r.status_code == 401 and "expired" in r.text


async def test_guessing_the_token_is_throttled_per_address(client: Client) -> None:
    guesser = client("203.0.113.9")
    statuses = [(await sign_in(guesser, f"guess-{i}")).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    blocked = await sign_in(guesser)  # even the right token waits: no oracle while blocked
    assert blocked.status_code == 429 and COOKIE not in guesser.cookies
    assert "Too many failed sign-ins" in blocked.text and int(blocked.headers["retry-after"]) >= 1
    assert (await sign_in(client("203.0.113.10"))).status_code == 303, "other addresses are not affected"


async def test_a_big_form_is_refused_before_it_is_read(client: Client) -> None:
    pulled = 0

    async def huge() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(300):
            pulled += 1
            yield b"token=" + b"a" * (1024 * 1024) + b"&"

    c = client()
    started = time.perf_counter()
    r = await c.post("/console/login", content=huge(), headers=FORM)
    assert r.status_code == 413 and str(MAX_FORM_BYTES) in r.text
    assert pulled <= 2, f"read {pulled} MB before refusing"
    assert time.perf_counter() - started < 2
    declared = await c.post("/console/login", content=b"x" * (MAX_FORM_BYTES + 1), headers=FORM)
    assert declared.status_code == 413
    many = "&".join(f"f{i}=1" for i in range(1000))
    assert (await c.post("/console/login", content=many, headers=FORM)).status_code == 413


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": "Bearer t\u00f6ken".encode("latin-1")},
        {"cookie": f"{COOKIE}=s\u00e9ssion".encode("latin-1")},
        {"cookie": b"\xff\xfe=\xff"},
    ],
)
async def test_non_ascii_credentials_are_refused_not_a_crash(client: Client, headers: dict[str, bytes]) -> None:
    r = await client().get("/console/plan", headers=headers)  # type: ignore[arg-type]
    assert r.status_code in (303, 401)


async def test_a_non_ascii_token_in_the_form_is_a_401(client: Client) -> None:
    r = await sign_in(client(), "jeton-\u00e9\u00e8\u2603-" + "x" * 30)
    assert r.status_code == 401 and "not the admin token" in r.text


async def test_secure_cookie_over_https_and_never_on_an_untrusted_claim(client: Client) -> None:
    tls = client(scheme="https")
    assert "secure" in (await sign_in(tls)).headers["set-cookie"].lower()
    spoofed = client("198.51.100.20")
    r = await spoofed.post("/console/login", data={"token": TOKEN}, headers={"x-forwarded-proto": "https"})
    assert "secure" not in r.headers["set-cookie"].lower(), "an untrusted peer cannot claim HTTPS"


async def test_behind_a_trusted_proxy_https_and_client_addresses_come_from_its_headers(
    tmp_path: Path, store: Store, migration: Migration
) -> None:
    behind = console_migration(tmp_path, trusted_proxies=["10.0.0.0/8"])
    app = build_gateway(behind, store=store)
    await app.startup()
    transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as lb:
            r = await lb.post("/console/login", data={"token": TOKEN}, headers={"x-forwarded-proto": "https"})
            assert "secure" in r.headers["set-cookie"].lower()
            attacker = {"x-forwarded-for": "203.0.113.66"}
            for i in range(10):
                await lb.post("/console/login", data={"token": f"guess-{i}"}, headers=attacker)
            r = await lb.post("/console/login", data={"token": TOKEN}, headers=attacker)
            assert r.status_code == 429, "the guesser behind the balancer is blocked"
            r = await lb.post("/console/login", data={"token": TOKEN}, headers={"x-forwarded-for": "203.0.113.67"})
            assert r.status_code == 303, "other clients behind the same balancer are not"
    finally:
        await app.shutdown()


def test_cli_console_link_prints_a_one_time_link(migration: Migration, store: Store, client: Client) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["console-link", "-c", str(migration.source), "--by", "erin", "--minutes", "5"])
    assert result.exit_code == 0, result.output
    url = next(line for line in result.output.split() if "/console/login?link=" in line)
    assert url.startswith("http://127.0.0.1:8787/console/login?link=") and TOKEN not in result.output
    link = url.split("link=", 1)[1]
    with store.engine.connect() as conn:
        (row,) = conn.execute(sa.select(schema.console_sessions)).mappings().all()
    assert row["kind"] == "login_link" and row["actor"] == "erin" and link not in str(dict(row))
    assert timedelta(minutes=4) < row["expires_at"] - row["created_at"] <= timedelta(minutes=5)


async def test_a_link_from_the_cli_signs_in_as_its_holder(migration: Migration, client: Client) -> None:
    result = CliRunner().invoke(cli, ["console-link", "-c", str(migration.source), "--by", "erin"])
    link = result.output.split("link=", 1)[1].split()[0]
    c = client()
    assert (await use_link(c, link)).status_code == 303
    page = await c.get("/console/plan")
    r = await c.post("/console/plan/tick", data={"csrf": csrf_on(page.text), "item": "inventory", "action": "tick"})
    assert r.status_code == 303
    assert "erin" in (await c.get("/console/plan")).text, "ticks default to who signed in"
