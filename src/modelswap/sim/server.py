"""Run the simulator: one aiohttp app serving both vendors' APIs on a real socket.

``start_sim()`` runs it in the current event loop (tests, benchmarks, the gateway's own
test suite); ``run_sim()`` blocks and serves until interrupted (the CLI command).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from modelswap.sim import anthropic_api, extra_api, openai_api, responses_api
from modelswap.sim.engine import ENGINE, SimEngine
from modelswap.sim.errors import SimError
from modelswap.sim.profiles import SimConfig

MAX_BODY_BYTES = 32 * 1024 * 1024


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _is_anthropic(request: web.Request) -> bool:
    return "anthropic-version" in request.headers


async def list_models(request: web.Request) -> web.Response:
    """``GET /v1/models``: Anthropic's shape when ``anthropic-version`` is sent, else OpenAI's."""
    engine = request.app[ENGINE]
    api = anthropic_api if _is_anthropic(request) else openai_api
    return web.json_response(api.list_models_body(engine), dumps=_dumps)


async def get_model(request: web.Request) -> web.Response:
    """``GET /v1/models/{model}`` in the caller's vendor shape."""
    engine = request.app[ENGINE]
    api = anthropic_api if _is_anthropic(request) else openai_api
    try:
        return web.json_response(api.model_body(request.match_info["model"], engine), dumps=_dumps)
    except SimError as err:
        return api.error_response(err)


async def health(request: web.Request) -> web.Response:
    """``GET /health``: liveness for scripts waiting on the simulator."""
    return web.json_response({"status": "ok"})


def build_app(config: SimConfig | None = None) -> web.Application:
    """The aiohttp application (usable in-process with aiohttp's test client)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[ENGINE] = SimEngine(config or SimConfig())
    app.router.add_post("/v1/chat/completions", openai_api.chat_completions)
    app.router.add_post("/v1/messages", anthropic_api.messages)
    app.router.add_post("/v1/responses", responses_api.responses)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model}", get_model)
    app.router.add_get("/health", health)
    extra_api.add_routes(app)
    return app


@dataclass
class RunningSim:
    """A simulator serving on a socket; ``stop()`` shuts it down."""

    runner: web.AppRunner
    host: str
    port: int
    engine: SimEngine

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL (``.../v1``), for ``openai.AsyncOpenAI(base_url=...)``."""
        return f"{self.anthropic_base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """Anthropic-style base URL (no ``/v1``), for ``anthropic.AsyncAnthropic(base_url=...)``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting connections and close the app."""
        await self.runner.cleanup()

    async def __aenter__(self) -> RunningSim:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def start_sim(config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> RunningSim:
    """Serve the simulator in the running event loop; ``port=0`` picks a free port."""
    app = build_app(config)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    sock = socket.create_server((host, port), reuse_port=False)
    site = web.SockSite(runner, sock)
    await site.start()
    bound_port = sock.getsockname()[1]
    return RunningSim(runner=runner, host=host, port=bound_port, engine=app[ENGINE])


def run_sim(config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 8600) -> None:
    """Serve the simulator until interrupted (Ctrl-C); blocks the calling thread."""
    web.run_app(build_app(config), host=host, port=port, access_log=None, print=None)
