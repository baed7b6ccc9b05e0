"""The web console under ``/console``: overview, plan, workload pages and the rollback button.

Server-rendered (Jinja2, autoescaped: model outputs are untrusted text), with local assets
only, so it works with no internet. Access needs the admin token: sent as a bearer header,
or exchanged once at ``/console/login`` for a session cookie. Every form carries a CSRF
token derived from the session.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime
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
from modelswap.console.data import answer_text, overview, question_text, workload_view
from modelswap.gateway.routes import RoutingTable
from modelswap.plan import UnknownItem, load_checklist, tick, to_markdown, untick
from modelswap.rollout import flag

HERE = Path(__file__).parent
COOKIE = "modelswap_console"


def _session_of(token: str) -> str:
    return hmac.new(token.encode(), b"modelswap-console-session-v1", hashlib.sha256).hexdigest()


def _csrf_of(session: str) -> str:
    return hmac.new(session.encode(), b"modelswap-console-csrf-v1", hashlib.sha256).hexdigest()[:32]


class Console:
    """The console's ASGI app for one gateway replica."""

    def __init__(self, migration: Migration, routes: RoutingTable, token: str | None) -> None:
        self.migration = migration
        self.routes = routes
        self.store = routes.store
        self.token = token
        self.session = _session_of(token) if token else None
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True), trim_blocks=True
        )
        self.env.filters["pct"] = lambda v, d=1: "–" if v is None else f"{v * 100:.{d}f} %"
        self.env.filters["ms"] = lambda v: "–" if v is None else f"{v:,.0f} ms"
        self.env.filters["usd"] = lambda v: "–" if v is None else f"${v:,.5f}"
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
                Route("/console/rollback", self.rollback, methods=["POST"]),
                Mount("/console/static", StaticFiles(directory=HERE / "static"), name="static"),
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    # -- auth ----------------------------------------------------------------------------------

    def _authed(self, request: Request) -> bool:
        if self.session is None or self.token is None:
            return False
        cookie = request.cookies.get(COOKIE, "")
        if cookie and hmac.compare_digest(cookie, self.session):
            return True
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), self.token)

    def _gate(self, request: Request) -> Response | None:
        if self.token is None:
            env = self.migration.gateway.admin_token_env
            return self._html(request, "closed.html", {"env": env}, status=403)
        if not self._authed(request):
            return RedirectResponse(f"/console/login?next={quote(request.url.path)}", status_code=303)
        return None

    def _csrf_ok(self, request: Request, form: Any) -> bool:
        return self.session is not None and hmac.compare_digest(str(form.get("csrf", "")), _csrf_of(self.session))

    async def login(self, request: Request) -> Response:
        nxt = request.query_params.get("next", "/console")
        if not nxt.startswith("/console"):
            nxt = "/console"
        if request.method == "POST":
            form = await request.form()
            given = str(form.get("token", ""))
            nxt = str(form.get("next", nxt)) if str(form.get("next", "")).startswith("/console") else nxt
        else:
            given = request.query_params.get("token", "")
            if not given:
                return self._html(request, "login.html", {"next": nxt, "error": None})
        if self.token is None or not hmac.compare_digest(given, self.token):
            return self._html(request, "login.html", {"next": nxt, "error": "That is not the admin token."}, status=401)
        response = RedirectResponse(nxt, status_code=303)
        response.set_cookie(COOKIE, self.session or "", httponly=True, samesite="strict", path="/console")
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(COOKIE, path="/console")
        return response

    # -- pages ---------------------------------------------------------------------------------

    def _html(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        base = {
            "migration": self.migration,
            "csrf": _csrf_of(self.session) if self.session and self._authed(request) else "",
            "path": request.url.path,
            "workloads": [w.name for w in self.migration.workloads],
            "now": datetime.now(UTC),
        }
        return HTMLResponse(self.env.get_template(name).render(**base, **context), status_code=status)

    async def overview_page(self, request: Request) -> Response:
        if (denied := self._gate(request)) is not None:
            return denied
        views = await asyncio.to_thread(overview, self.store, self.migration, self.routes.snapshot())
        return self._html(request, "overview.html", {"views": views, "endpoints": self.migration.endpoints})

    async def workload_page(self, request: Request) -> Response:
        if (denied := self._gate(request)) is not None:
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
            "Nightly golden-set pass rate (%) with 95 % intervals",
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
        context = {"view": view, "latency_chart": latency, "cost_chart": cost, "trend_chart": trend, "pairs": pairs}
        return self._html(request, "workload.html", context)

    async def plan_page(self, request: Request) -> Response:
        if (denied := self._gate(request)) is not None:
            return denied
        checklist = await asyncio.to_thread(load_checklist, self.store, self.migration)
        return self._html(request, "plan.html", {"plan": checklist})

    async def plan_export(self, request: Request) -> Response:
        if (denied := self._gate(request)) is not None:
            return denied
        checklist = await asyncio.to_thread(load_checklist, self.store, self.migration)
        stamp = checklist.generated_at.strftime("%Y%m%dT%H%M%SZ")
        return PlainTextResponse(
            to_markdown(checklist),
            media_type="text/markdown; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="modelswap-plan-{stamp}.md"'},
        )

    async def plan_tick(self, request: Request) -> Response:
        if (denied := self._gate(request)) is not None:
            return denied
        form = await request.form()
        if not self._csrf_ok(request, form):
            return PlainTextResponse("the form expired; reload the page and try again", status_code=403)
        who = str(form.get("by") or "").strip() or "console"
        note = str(form.get("note") or "").strip() or None
        action = tick if form.get("action") == "tick" else untick
        try:
            await asyncio.to_thread(lambda: action(self.store, str(form.get("item")), by=who, note=note))
        except UnknownItem as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return RedirectResponse("/console/plan", status_code=303)

    async def rollback(self, request: Request) -> Response:
        if (denied := self._gate(request)) is not None:
            return denied
        form = await request.form()
        if not self._csrf_ok(request, form):
            return PlainTextResponse("the form expired; reload the page and try again", status_code=403)
        names = [w.name for w in self.migration.workloads]
        target = str(form.get("workload") or "")
        chosen = [target] if target in names else names
        who = str(form.get("by") or "").strip() or "console"
        reason = str(form.get("reason") or "").strip() or "console rollback button"
        change = flag.undo_rollback if form.get("undo") else flag.rollback
        await asyncio.to_thread(change, self.store, chosen, who, reason)
        await asyncio.to_thread(self.routes.refresh)
        back = str(form.get("back") or "")
        return RedirectResponse(back if back.startswith("/console") else "/console", status_code=303)
