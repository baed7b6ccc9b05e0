"""The web console under ``/console``: overview, plan, workload pages and the rollback button.

Server-rendered (Jinja2, autoescaped: model outputs are untrusted text), with local assets
only, so it works with no internet. Access needs the admin token, sent as a bearer header or
exchanged at ``/console/login`` (a POSTed form, or a one-time login link) for a server-side
session; ``access.py`` has the rules. Every form carries a CSRF token derived from the session.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from modelswap.config import Migration
from modelswap.console import charts
from modelswap.console.access import COOKIE, ConsoleAccess, FormRefused, Visitor, read_form
from modelswap.console.choose_page import choose_page
from modelswap.console.data import answer_text, overview, question_text, workload_view
from modelswap.console.review_pages import review_routes
from modelswap.console.rollout_page import rollout_action, rollout_page
from modelswap.console.route_page import route_page
from modelswap.console.status import daily_series, migration_status, workload_status
from modelswap.gateway.throttle import AuthGuard
from modelswap.plan import UnknownItem, load_checklist, tick, to_markdown, untick
from modelswap.rollout import flag
from modelswap.rollout.table import RoutingTable

HERE = Path(__file__).parent
_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
]
"""Sent with every console response: no URL leaks in Referer, no cached pages, no framing."""

_TOKEN_IN_URL = (
    "The admin token never goes in a URL: it would stay in browser history, proxy logs and Referer "
    "headers. Sign in with the form below, or open a one-time login link from `modelswap console-link`."
)
_LINK_NOT_CONFIRMED = (
    "This sign-in did not come from this page (or the page is over 15 minutes old): press the button again."
)
_BAD_LINK = "This login link is unknown, already used or expired; make a new one with `modelswap console-link`."


def usd(value: float | None) -> str:
    """Dollars as people read them: cents from $1 up, else three significant digits ($0.000571), separators."""
    if value is None:
        return "–"
    sign, value = ("-" if value < 0 else ""), abs(value)
    if value >= 1 or value < 5e-9:  # below half a millionth of a cent nothing is worth showing
        return f"{sign}${value:,.2f}"
    digits = min(8, 2 - math.floor(math.log10(value)))
    text = f"{value:.{digits}f}".rstrip("0")
    return f"{sign}${text:0<4}"  # at least two decimals: $0.50


def _next_of(value: str | None) -> str:
    return value if value and value.startswith("/console") and "\\" not in value else "/console"


class Console:
    """The console's ASGI app for one gateway replica."""

    def __init__(
        self, migration: Migration, routes: RoutingTable, token: str | None, guard: AuthGuard | None = None
    ) -> None:
        self.migration = migration
        self.routes = routes
        self.store = routes.store
        self.token = token
        self.access = ConsoleAccess(self.store, token, guard or AuthGuard(), migration.gateway.console_session_hours)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True), trim_blocks=True
        )
        self.env.filters["pct"] = lambda v, d=1: "–" if v is None else f"{v * 100:.{d}f} %"
        self.env.filters["ms"] = lambda v: "–" if v is None else f"{v:,.0f} ms"
        self.env.filters["usd"] = usd
        self.env.filters["num"] = lambda v: "–" if v is None else f"{v:,}"
        self.env.filters["when"] = lambda v: "" if v is None else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.app = Starlette(
            routes=[
                Route("/console", self.overview_page),
                Route("/console/", self.overview_page),
                Route("/console/login", self.login, methods=["GET", "POST"]),
                Route("/console/logout", self.logout, methods=["POST"]),
                Route("/console/plan", self.plan_page),
                Route("/console/plan/tick", self.plan_tick, methods=["POST"]),
                Route("/console/plan/export.md", self.plan_export),
                Route("/console/workloads/{name}", self.workload_page),
                Route("/console/workloads/{name}/rollout", partial(rollout_page, self)),
                Route("/console/workloads/{name}/rollout", partial(rollout_action, self), methods=["POST"]),
                Route("/console/workloads/{name}/redteam", self.redteam_page),
                Route("/console/workloads/{name}/choose", partial(choose_page, self)),
                Route("/console/workloads/{name}/routing", partial(route_page, self)),
                Route("/console/rollback", self.rollback, methods=["POST"]),
                *review_routes(self),
                Mount("/console/static", StaticFiles(directory=HERE / "static"), name="static"),
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        try:
            scope.get("query_string", b"").decode("utf-8")
        except UnicodeDecodeError:
            refusal = PlainTextResponse("the query string is not valid UTF-8", status_code=400)
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    # -- auth ----------------------------------------------------------------------------------

    async def _gate(self, request: Request) -> Response | None:
        """``None`` when someone is signed in (``request.state.visitor``), else the page to show."""
        if self.token is None:
            env = self.migration.gateway.admin_token_env
            return self._html(request, "closed.html", {"env": env}, status=403)
        if "authorization" in request.headers and (wait := self.access.blocked(request)) is not None:
            return self._login_page(request, "/console", wait=wait)
        visitor = await self.access.visitor(request)
        if visitor is None:
            response = RedirectResponse(f"/console/login?next={quote(request.scope['path'])}", status_code=303)
            if request.cookies.get(COOKIE):
                self.access.clear_cookie(response)
            return response
        request.state.visitor = visitor
        return None

    async def _form(self, request: Request) -> dict[str, str] | Response:
        """The posted form once its CSRF token checks out, else the response refusing it."""
        try:
            form = await read_form(request)
        except FormRefused as exc:
            return PlainTextResponse(exc.message, status_code=exc.status)
        if not self._visitor(request).csrf_ok(form):
            return PlainTextResponse("the form expired; reload the page and try again", status_code=403)
        return form

    @staticmethod
    def _visitor(request: Request) -> Visitor:
        visitor: Visitor = request.state.visitor
        return visitor

    def _login_page(
        self, request: Request, nxt: str, error: str | None = None, status: int = 200, wait: float | None = None
    ) -> Response:
        headers = {}
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            error = f"Too many failed sign-ins from your address. Try again in {seconds} s."
            status = 429
            headers["retry-after"] = str(seconds)
        response = self._html(request, "login.html", {"next": nxt, "error": error}, status=status)
        response.headers.update(headers)
        return response

    async def login(self, request: Request) -> Response:
        """The sign-in form; POST the admin token. A one-time ``?link=`` shows a confirm page whose
        POST uses the link up (a GET never does: link previews would burn it)."""
        if self.token is None:
            return self._html(request, "closed.html", {"env": self.migration.gateway.admin_token_env}, status=403)
        nxt = _next_of(request.query_params.get("next"))
        if request.method == "GET" and "token" in request.query_params:
            return self._login_page(request, nxt, _TOKEN_IN_URL, status=400)
        if request.method == "GET":
            link = request.query_params.get("link")
            return self._login_page(request, nxt) if link is None else self._link_page(request, nxt, link)
        if (wait := self.access.blocked(request)) is not None:
            return self._login_page(request, nxt, wait=wait)
        try:
            form = await read_form(request)
        except FormRefused as exc:
            return self._login_page(request, nxt, exc.message, status=exc.status)
        nxt = _next_of(form.get("next", nxt))
        if "link" in form:
            if not self.access.link_nonce_ok(request, form):
                return self._link_page(request, nxt, form["link"], _LINK_NOT_CONFIRMED, status=403)
            session = await self.access.sign_in_with_link(request, form["link"])
            error = _BAD_LINK
        else:
            session = await self.access.sign_in_with_token(request, form.get("token", ""), form.get("name"))
            error = "That is not the admin token."
        if session is None:
            return self._login_page(request, nxt, error, status=401)
        response = RedirectResponse(nxt, status_code=303)
        self.access.set_cookie(request, response, session)
        self.access.clear_link_nonce(response)
        return response

    def _link_page(
        self, request: Request, nxt: str, link: str, error: str | None = None, status: int = 200
    ) -> Response:
        """The confirm page of a login link: a button that POSTs it with a fresh nonce."""
        nonce = self.access.new_link_nonce()
        context = {"next": nxt, "link": link, "nonce": nonce, "error": error}
        response = self._html(request, "login_link.html", context, status=status)
        self.access.set_link_nonce(request, response, nonce)
        return response

    async def logout(self, request: Request) -> Response:
        """End the session: the cookie stops working at once, here and on every replica."""
        if (denied := await self._gate(request)) is not None:
            return denied
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        await self.access.sign_out(self._visitor(request))
        response = RedirectResponse("/console/login", status_code=303)
        self.access.clear_cookie(response)
        return response

    # -- pages ---------------------------------------------------------------------------------

    def _html(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        visitor: Visitor | None = getattr(request.state, "visitor", None)
        base = {
            "migration": self.migration,
            "signed_in": visitor is not None,
            "session": visitor is not None and visitor.session is not None,
            "csrf": visitor.csrf if visitor else "",
            "actor": visitor.actor if visitor else "",
            "path": request.scope["path"],
            "workloads": [w.name for w in self.migration.workloads],
            "now": datetime.now(UTC),
        }
        return HTMLResponse(self.env.get_template(name).render(**base, **context), status_code=status)

    async def overview_page(self, request: Request) -> Response:
        if (denied := await self._gate(request)) is not None:
            return denied
        views = await asyncio.to_thread(overview, self.store, self.migration, self.routes.snapshot())
        context = {
            "views": views,
            "endpoints": self.migration.endpoints,
            "headline": migration_status(views),
            "statuses": {v.name: workload_status(v) for v in views},
            "charts": overview_charts(views),
        }
        return self._html(request, "overview.html", context)

    async def workload_page(self, request: Request) -> Response:
        if (denied := await self._gate(request)) is not None:
            return denied
        name = request.path_params["name"]
        names = {w.name: w for w in self.migration.workloads}
        if name not in names:
            return self._html(request, "missing.html", {"what": f"workload {name!r}"}, status=404)
        view = await asyncio.to_thread(
            workload_view, self.store, names[name], self.routes.get(name), 20, self.migration
        )
        latency = charts.histogram(
            "Latency distribution (ms)", {arm: f.latencies for arm, f in view.arms.items() if f.latencies}
        )
        days = sorted({d for f in view.arms.values() for d in f.cost_by_day})
        cost = charts.bar_chart(
            "Cost per day (USD)",
            {
                arm: [charts.Point(d, f.cost_by_day.get(d)) for d in days]
                for arm, f in view.arms.items()
                if f.cost_by_day
            },
        )
        trend = charts.line_chart(
            "Nightly pass rate (%), 95 % intervals",
            {
                arm: [
                    charts.Point(t["night"], t[arm]["rate"] * 100, t[arm]["low"] * 100, t[arm]["high"] * 100)
                    for t in view.trend
                    if t.get(arm)
                ]
                for arm in ("old", "new")
            },
            unit="%",
        )
        pairs = [
            {
                "question": question_text(p.request.request_body),
                "served": answer_text(p.request.response_body),
                "shadow": answer_text(p.shadow.response_body),
                "served_arm": p.request.arm,
                "shadow_arm": p.shadow.arm,
                "ts": p.request.ts,
            }
            for p in view.pairs
        ]
        context = {
            "view": view,
            "status": workload_status(view),
            "latency_chart": latency,
            "cost_chart": cost,
            "trend_chart": trend,
            "pairs": pairs,
        }
        return self._html(request, "workload.html", context)

    async def redteam_page(self, request: Request) -> Response:
        if (denied := await self._gate(request)) is not None:
            return denied
        name = request.path_params["name"]
        if name not in {w.name for w in self.migration.workloads}:
            return self._html(request, "missing.html", {"what": f"workload {name!r}"}, status=404)
        from modelswap.redteam.report import RedteamReportError, load_run

        try:
            report = await asyncio.to_thread(load_run, self.store, self.migration, None, name)
        except RedteamReportError:
            context = {"name": name, "report": None, "message": f"No red-team run covers {name} yet."}
            return self._html(request, "redteam.html", context)
        context = {"name": name, "report": report, "findings": report.findings(50)}
        return self._html(request, "redteam.html", context)

    async def plan_page(self, request: Request) -> Response:
        if (denied := await self._gate(request)) is not None:
            return denied
        checklist = await asyncio.to_thread(load_checklist, self.store, self.migration)
        return self._html(request, "plan.html", {"plan": checklist})

    async def plan_export(self, request: Request) -> Response:
        if (denied := await self._gate(request)) is not None:
            return denied
        checklist = await asyncio.to_thread(load_checklist, self.store, self.migration)
        stamp = checklist.generated_at.strftime("%Y%m%dT%H%M%SZ")
        return PlainTextResponse(
            to_markdown(checklist),
            media_type="text/markdown; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="modelswap-plan-{stamp}.md"'},
        )

    async def plan_tick(self, request: Request) -> Response:
        if (denied := await self._gate(request)) is not None:
            return denied
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        who = str(form.get("by") or "").strip() or self._visitor(request).actor
        note = str(form.get("note") or "").strip() or None
        action = tick if form.get("action") == "tick" else untick
        try:
            await asyncio.to_thread(lambda: action(self.store, form.get("item", ""), by=who, note=note))
        except UnknownItem as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return RedirectResponse("/console/plan", status_code=303)

    async def rollback(self, request: Request) -> Response:
        if (denied := await self._gate(request)) is not None:
            return denied
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        names = [w.name for w in self.migration.workloads]
        target = str(form.get("workload") or "")
        chosen = [target] if target in names else names
        who = self._visitor(request).actor  # the signed-in name (sign-in form or login link), never a form field
        reason = " ".join(str(form.get("reason") or "").split())[:500]
        if not reason:
            return PlainTextResponse("say why in the reason field: it goes in the audit trail", status_code=400)
        if form.get("undo"):  # "undo all" keeps what the controller rolled back on evidence
            spare = target not in names
            await asyncio.to_thread(flag.undo_rollback, self.store, chosen, who, reason, spare_evidence=spare)
        else:
            await asyncio.to_thread(flag.rollback, self.store, chosen, who, reason)
        await asyncio.to_thread(self.routes.refresh)
        back = str(form.get("back") or "")
        return RedirectResponse(back if back.startswith("/console") else "/console", status_code=303)


def overview_charts(views: list[Any]) -> dict[str, str]:
    """The overview's charts: traffic share, error rate and p95 old vs new per day, and cost per day."""
    series = daily_series(views)

    def points(values: list[float | None]) -> list[charts.Point]:
        return [charts.Point(d, v) for d, v in zip(series.days, values, strict=True)]

    return {
        "share": charts.line_chart("New model's share of served traffic (%)", {"new": points(series.new_share)}, "%"),
        "errors": charts.line_chart(
            "Error rate (%), served and shadow calls", {a: points(v) for a, v in series.error_rate.items()}, "%"
        ),
        "p95": charts.line_chart("p95 latency (ms)", {a: points(v) for a, v in series.p95.items()}, "ms"),
        "cost": charts.bar_chart("Cost per day (USD)", {a: points(v) for a, v in series.cost.items() if any(v)}),
    }
