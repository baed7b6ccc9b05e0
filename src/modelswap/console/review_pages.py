"""The console's review pages: the review set's figures, and one pair at a time, blind, with
verdicts by mouse or keyboard. The signed-in name is the reviewer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from modelswap.config import HumanReviewGate, Migration
from modelswap.console.access import Visitor
from modelswap.gates.human_review import decide_human_review
from modelswap.review.exchange import VERDICT_OF
from modelswap.review.pair_view import judgement_of, pair_view
from modelswap.review.report import build_report
from modelswap.review.review_set import Reviewed, reviewed
from modelswap.store import Store
from modelswap.store.rows import ReviewVerdictRow


class Console(Protocol):
    """What the review pages use of the console: its store, sign-in, forms and templates."""

    migration: Migration
    store: Store

    async def _gate(self, request: Request) -> Response | None: ...
    async def _form(self, request: Request) -> dict[str, str] | Response: ...
    @staticmethod
    def _visitor(request: Request) -> Visitor: ...
    def _html(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse: ...


JUDGE_ORDER = {"old_better": 0, "same": 1, "new_better": 2}
"""Pairs the judge found worse for the new model first."""
TAGS = ("format", "facts", "tone", "refusal", "tools", "safety")
MAX_NOTE = 2_000


@dataclass(frozen=True)
class _Position:
    done: Reviewed
    index: int


def review_routes(console: Console) -> list[Route]:
    """The review routes, bound to a console."""
    pages = ReviewPages(console)
    return [
        Route("/console/review", pages.overview),
        Route("/console/review/pairs/{index:int}", pages.pair, methods=["GET", "POST"]),
    ]


class ReviewPages:
    def __init__(self, console: Console) -> None:
        self.c = console

    def _gates(self, done: Reviewed) -> list[tuple[str, Any]]:
        out = []
        for w in self.c.migration.workloads:
            worse, weights = done.worse_and_weights(w.name)
            out.append((w.name, decide_human_review(worse, weights, w.gates.human_review or HumanReviewGate())))
        return out

    async def overview(self, request: Request) -> Response:
        if (denied := await self.c._gate(request)) is not None:
            return denied
        done = await asyncio.to_thread(reviewed, self.c.store)
        if done is None:
            return self.c._html(request, "review.html", {"done": None})
        me = self.c._visitor(request).actor
        report = build_report(done)
        mine = [p.pair_id in done.verdicts and me in done.verdicts[p.pair_id] for p in done.sample.pairs]
        next_index = next((i for i, judged in enumerate(mine) if not judged), None)
        context = {
            "done": done,
            "report": report,
            "gates": self._gates(done),
            "me": me,
            "mine": sum(mine),
            "next_index": next_index,
            "positions": {p.pair_id: i for i, p in enumerate(done.sample.pairs)},
            "by_judge": sorted(done.judge.items(), key=lambda kv: (JUDGE_ORDER.get(kv[1], 9), kv[0])),
        }
        return self.c._html(request, "review.html", context)

    async def pair(self, request: Request) -> Response:
        if (denied := await self.c._gate(request)) is not None:
            return denied
        done = await asyncio.to_thread(reviewed, self.c.store)
        index = int(request.path_params["index"])
        if done is None or not 0 <= index < len(done.sample.pairs):
            return self.c._html(request, "missing.html", {"what": f"review pair {index}"}, status=404)
        me = self.c._visitor(request).actor
        entry = done.sample.pairs[index]
        found = await asyncio.to_thread(self.c.store.review.pairs_by_id, [entry.pair_id])
        view = pair_view(found[entry.pair_id], me) if entry.pair_id in found else None
        if view is None:
            return self.c._html(request, "missing.html", {"what": f"the bodies of pair {entry.pair_id}"}, status=404)
        if request.method == "POST":
            return await self._record(request, done, index, view.new_side, me)
        context = {
            "view": view,
            "entry": entry,
            "index": index,
            "total": len(done.sample.pairs),
            "mine": done.verdicts.get(entry.pair_id, {}).get(me),
            "tags": TAGS,
            "policy": self.c.migration.gateway.record_bodies,
        }
        return self.c._html(request, "review_pair.html", context)

    async def _record(self, request: Request, done: Reviewed, index: int, side: Any, me: str) -> Response:
        form = await self.c._form(request)
        if isinstance(form, Response):
            return form
        try:
            judgement = judgement_of(form.get("choice", ""), side)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        note = form.get("note", "").strip()[:MAX_NOTE] or None
        tags = [t for t in TAGS if form.get(f"tag_{t}")]
        row = ReviewVerdictRow(
            pair_id=done.sample.pairs[index].pair_id, reviewer=me, verdict=VERDICT_OF[judgement],  # type: ignore[arg-type]
            ts=datetime.now(UTC), note=note, sample_id=done.sample.id, judgement=judgement, tags=tags or None,
            new_side=side,
        )  # fmt: skip
        await asyncio.to_thread(self.c.store.review.add_verdicts, [row])
        return RedirectResponse(f"/console/review/pairs/{index}", status_code=303)
