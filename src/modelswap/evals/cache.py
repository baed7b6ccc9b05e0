"""The response cache as the eval runner uses it: a model's answer to a request is paid for once.

Keys hash (scope, model, canonical request): the request body as JSON with sorted keys, so
the same question asked twice — by a re-run, a re-scoring, a resumed run, or two cases that
happen to be identical — hits the same entry. ``scope`` separates answers that must not be
shared: a nightly run uses its own run id, so each night asks the models afresh (that is the
point of a nightly run) while a resumed night still reuses what it already paid for.

Entries keep the original call's latency, so latency figures and gates read the same on a
re-run as on the run that paid. Only successful answers are cached; failures are retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import orjson

from modelswap.evals.endpoint import Answer
from modelswap.evals.writer import ResultWriter
from modelswap.providers.base import Dialect, Upstream
from modelswap.store import CachedResponse, Store

Json = dict[str, Any]
KEY_VERSION = "modelswap-eval-cache/1"


def canonical_request(body: Json) -> bytes:
    """The request as canonical JSON: sorted keys, no spaces."""
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def cache_key(model: str, body: Json, scope: str | None = None) -> str:
    """Hex SHA-256 of (scope, model, canonical request); ``body["model"]`` is set to ``model`` first."""
    digest = hashlib.sha256()
    digest.update(f"{KEY_VERSION}\0{scope or ''}\0{model}\0".encode())
    digest.update(canonical_request({**body, "model": model}))
    return digest.hexdigest()


def to_entry(key: str, model: str, answer: Answer, now: datetime, dialect: str = "openai") -> CachedResponse:
    """The store row for an answer: the body with the call's latency and attempts."""
    envelope = {"body": answer.body, "latency_ms": answer.latency_ms, "attempts": answer.attempts, "dialect": dialect}
    return CachedResponse(key_hash=key, model=model, response=envelope, created_at=now)


def from_entry(entry: CachedResponse) -> Answer:
    """An answer read back from the cache (``cached=True``)."""
    envelope = entry.response
    if isinstance(envelope, dict) and isinstance(envelope.get("body"), dict):
        latency = envelope.get("latency_ms")
        return Answer(
            envelope["body"],
            float(latency) if isinstance(latency, int | float) else 0.0,
            int(envelope.get("attempts") or 1),
            cached=True,
        )
    return Answer(envelope, 0.0, 1, cached=True)  # a bare body cached by something else


def read_entries(store: Store, keys: Iterable[str]) -> dict[str, Answer]:
    """The cached answers among ``keys``, read in a few queries."""
    return {key: from_entry(entry) for key, entry in store.cache.get_many(keys).items()}


class ResponseCache:
    """Answers already paid for, prefetched from the store; new ones written behind via ``writer``.

    ``fetch`` is single-flight: concurrent fetches of one key make one call.
    """

    def __init__(self, store: Store, writer: ResultWriter, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.writer = writer
        self._clock = clock or (lambda: datetime.now(UTC))
        self._known: dict[str, Answer] = {}
        self._inflight: dict[str, asyncio.Future[Answer]] = {}
        self.hits = 0
        self.calls = 0

    async def prefetch(self, keys: Iterable[str]) -> int:
        """Load the cached answers among ``keys``; returns how many were found."""
        found = await asyncio.to_thread(read_entries, self.store, list(keys))
        self._known.update(found)
        return len(found)

    async def lookup(self, key: str) -> Answer | None:
        """A known answer, reading the store for a key that was not prefetched."""
        known = self.peek(key)
        if known is None and key not in self._inflight:
            entry = await asyncio.to_thread(self.store.cache.get, key)
            if entry is not None:
                self._known[key] = from_entry(entry)
                known = self.peek(key)
        return known

    def peek(self, key: str) -> Answer | None:
        """A known answer, without calling anything."""
        answer = self._known.get(key)
        if answer is None:
            return None
        self.hits += 1
        return answer if answer.cached else replace(answer, cached=True)

    async def fetch(
        self, key: str, model: str, call: Callable[[], Awaitable[Answer]], *, dialect: str = "openai"
    ) -> Answer:
        """The cached answer for ``key``, else ``call()``'s (stored before it is returned)."""
        known = self.peek(key)
        if known is not None:
            return known
        pending = self._inflight.get(key)
        if pending is not None:
            self.hits += 1
            answer = await asyncio.shield(pending)
            return Answer(answer.body, answer.latency_ms, answer.attempts, cached=True)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            self.calls += 1
            answer = await call()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a future nobody awaits does not warn
            raise
        finally:
            self._inflight.pop(key, None)
        self._known[key] = answer
        self.writer.cache(to_entry(key, model, answer, self._clock(), dialect))
        future.set_result(answer)
        return answer


class CachedUpstream:
    """An ``Upstream`` whose answers go through the response cache: an LLM judge's, so that
    re-scoring a run asks the judge nothing it was already asked (its prompt holds the output
    it grades, so a new output is a new question)."""

    def __init__(self, inner: Upstream, cache: ResponseCache, *, scope: str | None = None) -> None:
        self.inner = inner
        self.cache = cache
        self.scope = scope
        self.name = inner.name
        self.model = inner.model
        self.dialect: Dialect = inner.dialect

    async def _call(self, body: Json) -> Answer:
        answer = getattr(self.inner, "answer", None)
        if answer is not None:  # an EvalEndpoint: limited, retried, timed
            return cast(Answer, await answer(body))
        start = time.perf_counter()
        response = await self.inner.complete(body)
        return Answer(response, (time.perf_counter() - start) * 1000.0)

    async def complete(self, body: Json) -> Json:
        key = cache_key(self.model, body, self.scope)
        known = await self.cache.lookup(key)
        if known is not None:
            return known.body
        answer = await self.cache.fetch(key, self.model, lambda: self._call(body), dialect=self.dialect)
        return answer.body

    def stream(self, body: Json) -> AsyncIterator[Json]:
        return self.inner.stream(body)

    async def aclose(self) -> None:
        await self.inner.aclose()
