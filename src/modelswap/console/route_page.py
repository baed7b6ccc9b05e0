"""The console's routing page per workload: the latest calibration (threshold, held-out figures with
intervals), the cost–quality curve as a chart and a table, and earlier calibrations."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from modelswap.config import Migration
from modelswap.console.chart_route import route_curve_svg
from modelswap.routing.calibrate import thin
from modelswap.routing.stored import curve_of
from modelswap.store import Store


class Console(Protocol):
    """What this handler uses of the console app (``console/app.py``)."""

    migration: Migration
    store: Store

    async def _gate(self, request: Request) -> Response | None: ...
    def _html(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response: ...


def route_context(migration: Migration, store: Store, name: str) -> dict[str, Any]:
    """What the page shows for one workload (blocking: run it in a thread)."""
    routing = migration.workload(name).routing
    history = store.routing.calibrations(name, limit=20)
    latest = history[-1] if history else None
    threshold = latest.threshold if latest is not None else None
    curve = thin(curve_of(latest), threshold, most=12) if latest is not None else []
    picked = next((p for p in curve if p.threshold == threshold), None)
    return {
        "name": name,
        "routing": routing,
        "latest": latest,
        "curve": curve,
        "picked": picked,
        "chart": route_curve_svg(curve, picked) if curve else "",
        "history": list(reversed(history)),
    }


async def route_page(console: Console, request: Request) -> Response:
    """``GET /console/workloads/{name}/routing``."""
    if (denied := await console._gate(request)) is not None:
        return denied
    name = request.path_params["name"]
    if name not in [w.name for w in console.migration.workloads]:
        return console._html(request, "missing.html", {"what": f"workload {name!r}"}, status=404)
    context = await asyncio.to_thread(route_context, console.migration, console.store, name)
    return console._html(request, "route.html", context)
