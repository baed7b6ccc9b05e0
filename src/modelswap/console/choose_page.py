"""The console's "which model?" page per workload: the latest ``modelswap choose`` run, its Pareto
chart and the ranking with intervals, read back from the store (``store.choices``)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelswap.choose.report import cells, mark, workload_from_json
from modelswap.console.chart_pareto import pareto_chart
from modelswap.console.rollout_page import Console
from modelswap.store import Store
from modelswap.store.choices import latest_choice


def choose_context(store: Store, name: str) -> dict[str, Any]:
    """What the page shows for one workload (blocking: run it in a thread)."""
    row = latest_choice(store, name)
    if row is None:
        return {"name": name, "row": None}
    choice = workload_from_json(row.figures)
    rows = [
        {"r": r, "f": r.figures, "cells": cells(r.figures), "mark": mark(r.on_front, r.picked)}
        for r in choice.ranking.rows
    ]
    title = f"{name}: pass rate vs cost"
    return {
        "name": name,
        "row": row,
        "choice": choice,
        "baseline": {"f": choice.baseline, "cells": cells(choice.baseline)},
        "rows": rows,
        "chart": pareto_chart(title, choice.baseline, choice.ranking.rows),
    }


async def choose_page(console: Console, request: Request) -> Response:
    """``GET /console/workloads/{name}/choose``: the latest choice run of the workload."""
    if (denied := await console._gate(request)) is not None:
        return denied
    name = request.path_params["name"]
    if name not in [w.name for w in console.migration.workloads]:
        return console._html(request, "missing.html", {"what": f"workload {name!r}"}, status=404)
    context = await asyncio.to_thread(choose_context, console.store, name)
    return console._html(request, "choose.html", context)
