"""Webhooks: a Slack-compatible JSON message (``{"text": ...}``) on promotions, rollbacks and
approvals needed. A failing webhook is logged, never fatal: the decision is already in the store."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

log = logging.getLogger("modelswap.rollout")

Notify = Callable[[str, str, str], None]
"""``(event, workload, text)``: event is ``promote``, ``rollback`` or ``approval_needed``."""

ICONS = {"promote": ":arrow_up:", "rollback": ":rotating_light:", "approval_needed": ":raised_hand:"}


def message(event: str, workload: str, text: str) -> dict[str, str]:
    """The JSON body Slack (and Mattermost, Teams' Slack-compatible hooks, …) accept."""
    return {"text": f"{ICONS.get(event, '')} modelswap · {workload} · {event.replace('_', ' ')}: {text}".strip()}


def slack_webhook(url: str, *, timeout_s: float = 5.0, transport: httpx.BaseTransport | None = None) -> Notify:
    """A ``Notify`` that posts each message to ``url`` (the URL is a secret: never logged)."""

    def notify(event: str, workload: str, text: str) -> None:
        try:
            with httpx.Client(timeout=timeout_s, transport=transport) as client:
                client.post(url, json=message(event, workload, text)).raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("rollout webhook for %s (%s) failed: %s", workload, event, type(exc).__name__)

    return notify
