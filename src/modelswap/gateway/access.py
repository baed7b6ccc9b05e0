"""Who may call which gateway route: the app keys on the serving paths (as a wrapper around
their handlers), the metrics token on ``/metrics`` and the rollout status.

Every refusal counts against the client's address (``throttle.AuthGuard``), so a client that
keeps guessing gets a 429 before its next guess is even checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from modelswap.gateway.asgi import Receive, Scope, Send, header_map
from modelswap.gateway.auth import KeyRing, Refusal, bearer_token, presented_key, same_secret
from modelswap.gateway.errors import ClientError
from modelswap.gateway.throttle import AuthGuard

Endpoint = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI app for one route: what the route table maps to."""
Handler = Callable[[Scope, Receive, Send, dict[str, str], str | None], Awaitable[None]]
"""A handler behind the app-key check: it also gets the decoded headers and the caller's key name."""


class Access:
    """The gateway's credentials and the checks that use them."""

    def __init__(
        self, keyring: KeyRing, guard: AuthGuard, metrics_token: str | None, metrics_token_env: str | None
    ) -> None:
        self.keyring = keyring
        self.guard = guard
        self.metrics_token = metrics_token
        self.metrics_token_env = metrics_token_env
        """The variable ``metrics_token`` came from (``None``: ``/metrics`` is open)."""

    def app_key(self, handler: Handler) -> Endpoint:
        """``handler`` behind the app-key check (a 401 when refused, a 429 after too many failures)."""

        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            headers = header_map(scope)
            await handler(scope, receive, send, headers, self.identify(scope, headers))

        return guarded

    def identify(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """The name of the app key presented (``None`` in open mode); a 401 when refused, a 429
        while this client has failed too often."""
        if self.keyring.is_open:
            return None
        client = self.guard.address(scope)
        self.guard.refuse_if_blocked(client)
        identity = self.keyring.identify(presented_key(headers))
        if isinstance(identity, Refusal):
            self.guard.failed(client)
            raise ClientError(401, identity.message, code="invalid_api_key")
        return identity

    def check_metrics(self, scope: Scope) -> None:
        """``/metrics`` needs the metrics token when ``gateway.metrics_token_env`` is set."""
        env = self.metrics_token_env
        if env is None:
            return
        client = self.guard.address(scope)
        self.guard.refuse_if_blocked(client)
        headers = header_map(scope)
        presented = bearer_token(headers.get("authorization"))
        if self.metrics_token is None or presented is None or not same_secret(presented, self.metrics_token):
            self.guard.failed(client)
            raise ClientError(401, f"/metrics needs 'Authorization: Bearer <the token in {env}>'")
