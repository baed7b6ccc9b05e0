"""``GET /v1/models`` and ``GET /v1/models/{model}``: the models this gateway serves, in the
shape of whichever SDK asks (Anthropic's when it sends ``anthropic-version``, else OpenAI's)."""

from __future__ import annotations

import urllib.parse
from typing import Any

import orjson

from modelswap.config import Migration
from modelswap.gateway.asgi import Receive, Scope, Send, respond
from modelswap.gateway.errors import ClientError


class ModelsApi:
    """The model list of one migration's endpoints."""

    def __init__(self, migration: Migration, started_at: float) -> None:
        self.migration = migration
        self.started_at = started_at

    def _model_list(self, headers: dict[str, str]) -> tuple[bool, list[str]]:
        """(whether the caller speaks Anthropic's API, the models this gateway serves)."""
        return "anthropic-version" in headers, sorted({e.model for e in self.migration.endpoints.values()})

    def _model_object(self, model: str, anthropic: bool) -> dict[str, Any]:
        if anthropic:
            return {"type": "model", "id": model, "display_name": model, "created_at": "2025-01-01T00:00:00Z"}
        return {"id": model, "object": "model", "created": int(self.started_at), "owned_by": "modelswap"}

    async def list(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], identity: str | None
    ) -> None:
        """``GET /v1/models`` (``client.models.list``)."""
        anthropic, models = self._model_list(headers)
        objects = [self._model_object(m, anthropic) for m in models]
        if anthropic:
            data: dict[str, Any] = {
                "data": objects,
                "has_more": False,
                "first_id": models[0] if models else None,
                "last_id": models[-1] if models else None,
            }
        else:
            data = {"object": "list", "data": objects}
        await respond(send, 200, orjson.dumps(data))

    async def retrieve(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], identity: str | None, *, model: str
    ) -> None:
        """``GET /v1/models/{model}`` (``client.models.retrieve``): one served model, else a 404."""
        anthropic, models = self._model_list(headers)
        model = urllib.parse.unquote(model)
        if model not in models:
            served = ", ".join(models) or "none"
            raise ClientError(
                404,
                f"the model {model!r} is not served by this gateway; it serves: {served}",
                code="model_not_found",
            )
        await respond(send, 200, orjson.dumps(self._model_object(model, anthropic)))
