"""Who may use the console: server-side sessions, one-time login links, bounded forms, CSRF.

* Sign-in takes the admin token in a POSTed form, never in a URL (URLs end up in browser
  history, proxy logs and ``Referer`` headers), and gives a random session kept in the store,
  with an expiry, deleted at sign-out. The cookie is ``HttpOnly``, ``SameSite=Strict``, scoped
  to ``/console`` and ``Secure`` when the browser came over HTTPS (directly, or per a trusted
  proxy's ``X-Forwarded-Proto``).
* A login link (``modelswap console-link``) carries a one-time token that expires in minutes
  and is exchanged for a session on first use. Opening it (a GET) only shows a confirm page: link
  previews in chat apps and mail scanners fetch URLs too, and must not burn the link. The page's
  POST button uses it up; the POST must carry the nonce the page set in a ``SameSite=Strict``
  cookie (double submit), so another site cannot post a link of its own choosing (login CSRF).
* Scripts may send the admin token as ``Authorization: Bearer``; browsers never add that header
  by themselves, so such requests need no CSRF token. Cookie sessions do: it is an HMAC of the
  session token, so it dies with the session.
* Failed sign-ins, links and bearer tokens count against the client's address in the gateway's
  ``AuthGuard``; a blocked address is told how long to wait.
* A form body over ``MAX_FORM_BYTES`` or with over ``MAX_FORM_FIELDS`` fields is refused with 413
  before it is read in full.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from modelswap.gateway.auth import bearer_token, same_secret
from modelswap.gateway.forwarded import is_https
from modelswap.gateway.throttle import AuthGuard
from modelswap.store import (
    Store,
    consume_login_link,
    create_session,
    delete_session,
    find_session,
    purge_expired_sessions,
)

COOKIE = "modelswap_console"
LINK_NONCE_COOKIE = "modelswap_login_nonce"
"""The confirm page's nonce cookie: the POST that uses a login link must echo it."""
LINK_NONCE_SECONDS = 15 * 60
MAX_FORM_BYTES = 64 * 1024
"""Largest console form body, in bytes."""
MAX_FORM_FIELDS = 32
"""Most fields in one console form."""
TOKEN_LOGIN_ACTOR = "console"
MAX_NAME = 64
"""Longest name kept for a signed-in person."""
"""Who a session signed in with the admin token is, for the audit trail."""


class FormRefused(Exception):
    """A form body the console will not read: ``status`` and a sentence for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def csrf_of(session: str) -> str:
    """The CSRF token of a session: valid exactly as long as the session is."""
    return hmac.new(session.encode("utf-8", "surrogatepass"), b"modelswap-console-csrf-v1", hashlib.sha256).hexdigest()[
        :32
    ]


def visitor_name(name: str | None) -> str:
    """The name a person signs in with, tidied for the audit trail; ``console`` when none is given."""
    tidy = " ".join((name or "").split())[:MAX_NAME].rstrip()  # cut at the limit, never on a trailing space
    return tidy or TOKEN_LOGIN_ACTOR


@dataclass(frozen=True, slots=True)
class Visitor:
    """Someone signed in: who, and the session token when they came with a cookie."""

    actor: str
    session: str | None = None

    @property
    def csrf(self) -> str:
        """The CSRF token forms must carry (empty for bearer callers, who need none)."""
        return csrf_of(self.session) if self.session else ""

    def csrf_ok(self, form: dict[str, str]) -> bool:
        """The form carries this visitor's CSRF token (always true for bearer callers)."""
        if self.session is None:
            return True
        return same_secret(form.get("csrf", ""), self.csrf)


async def read_form(request: Request) -> dict[str, str]:
    """A URL-encoded form, first value per field; ``FormRefused`` when too big or not a form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRefused(415, "console forms are sent as application/x-www-form-urlencoded")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise FormRefused(413, f"this form is larger than the console's limit of {MAX_FORM_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise FormRefused(413, f"this form is larger than the console's limit of {MAX_FORM_BYTES} bytes")
        chunks.append(chunk)
    text = b"".join(chunks).decode("utf-8", "replace")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="replace")
    except ValueError:
        raise FormRefused(413, f"this form has more than {MAX_FORM_FIELDS} fields") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


class ConsoleAccess:
    """Sessions, login links and the admin token for one console."""

    def __init__(self, store: Store, token: str | None, guard: AuthGuard, session_hours: float) -> None:
        self.store = store
        self.token = token
        self.guard = guard
        self.ttl = timedelta(hours=session_hours)

    async def visitor(self, request: Request) -> Visitor | None:
        """Who is signed in (cookie session or bearer admin token), else ``None``.

        A wrong bearer token counts as a failed authentication; a stale cookie does not
        (it is a 256-bit random value: nobody guesses one)."""
        if self.token is None:
            return None
        presented = bearer_token(request.headers.get("authorization"))
        if presented is not None:
            if same_secret(presented, self.token):
                return Visitor(TOKEN_LOGIN_ACTOR)
            self.guard.failed(self.client(request))
            return None
        cookie = request.cookies.get(COOKIE, "")
        if not cookie:
            return None
        found = await asyncio.to_thread(find_session, self.store, cookie)
        return None if found is None else Visitor(found.actor, cookie)

    def client(self, request: Request) -> str:
        """The client address failures count against."""
        return self.guard.address(request.scope)

    def blocked(self, request: Request) -> float | None:
        """Seconds this client must wait before trying to sign in again, else ``None``."""
        return self.guard.retry_after(self.client(request))

    async def sign_in_with_token(self, request: Request, given: str, name: str | None = None) -> str | None:
        """A new session token if ``given`` is the admin token, else ``None`` (and a failure counted).

        ``name`` is who signs in, for the audit trail of what they change (``console`` when left empty).
        """
        if self.token is None or not same_secret(given, self.token):
            self.guard.failed(self.client(request))
            return None
        return await self._new_session(visitor_name(name))

    async def sign_in_with_link(self, request: Request, link: str) -> str | None:
        """A new session token if ``link`` is a live login link (used up now), else ``None``."""
        used = await asyncio.to_thread(consume_login_link, self.store, link)
        if used is None:
            self.guard.failed(self.client(request))
            return None
        return await self._new_session(used.actor)

    @staticmethod
    def new_link_nonce() -> str:
        """A fresh nonce for a login link's confirm page (its form and its cookie)."""
        return secrets.token_urlsafe(16)

    def set_link_nonce(self, request: Request, response: Response, nonce: str) -> None:
        """Set the confirm page's nonce as a cookie the POST must echo."""
        response.set_cookie(
            LINK_NONCE_COOKIE,
            nonce,
            max_age=LINK_NONCE_SECONDS,
            path="/console/login",
            secure=is_https(request.scope, self.guard.trusted),
            httponly=True,
            samesite="strict",
        )

    @staticmethod
    def link_nonce_ok(request: Request, form: dict[str, str]) -> bool:
        """The form echoes the nonce cookie its confirm page set (absent on a cross-site POST)."""
        cookie = request.cookies.get(LINK_NONCE_COOKIE, "")
        return bool(cookie) and same_secret(form.get("nonce", ""), cookie)

    async def _new_session(self, actor: str) -> str:
        await asyncio.to_thread(purge_expired_sessions, self.store)
        return await asyncio.to_thread(create_session, self.store, "session", actor, self.ttl)

    async def sign_out(self, visitor: Visitor) -> None:
        """End the visitor's session; its cookie and CSRF token stop working at once."""
        if visitor.session:
            await asyncio.to_thread(delete_session, self.store, visitor.session)

    def set_cookie(self, request: Request, response: Response, session: str) -> None:
        """Hand the browser its session cookie."""
        response.set_cookie(
            COOKIE,
            session,
            max_age=int(self.ttl.total_seconds()),
            path="/console",
            secure=is_https(request.scope, self.guard.trusted),
            httponly=True,
            samesite="strict",
        )

    @staticmethod
    def clear_cookie(response: Response) -> None:
        """Tell the browser to forget its session cookie."""
        response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")

    @staticmethod
    def clear_link_nonce(response: Response) -> None:
        """Tell the browser to forget the confirm page's nonce once the link is used."""
        response.delete_cookie(LINK_NONCE_COOKIE, path="/console/login", httponly=True, samesite="strict")
