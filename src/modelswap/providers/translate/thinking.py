"""Claude's extended thinking from an OpenAI chat request (pure): ``reasoning_effort`` or a
``thinking`` object turns it on, and an assistant message's ``thinking_blocks`` (Anthropic's own
blocks, as a translated answer carried them) go back to Claude."""

from __future__ import annotations

from typing import Any

from modelswap.providers.base import Json
from modelswap.providers.translate.common import TranslationError, expect_list

__all__ = ["THINKING_BUDGETS", "thinking_blocks", "thinking_into"]

THINKING_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}
"""``reasoning_effort`` → Claude's ``thinking.budget_tokens`` (LiteLLM's mapping; 1024 is Claude's minimum)."""


def thinking_into(body: Json, out: Json) -> bool:
    """Set ``out["thinking"]`` (a Messages request) from ``thinking`` or ``reasoning_effort``;
    whether thinking is on (``out["max_tokens"]`` raised above the budget when it is not)."""
    thinking = body.get("thinking")
    if thinking is None:
        effort = body.get("reasoning_effort")
        if effort is None or effort == "none":
            return False
        if effort not in THINKING_BUDGETS:
            raise TranslationError(f"must be one of none, {', '.join(THINKING_BUDGETS)}", "reasoning_effort")
        if body.get("tools") and (body.get("tool_choice") == "required" or isinstance(body.get("tool_choice"), dict)):
            return False  # Claude refuses thinking beside a forced tool; the forced call is what the app needs
        thinking = {"type": "enabled", "budget_tokens": THINKING_BUDGETS[effort]}
    if not isinstance(thinking, dict):
        raise TranslationError("must be an object", "thinking")
    out["thinking"] = thinking
    budget = thinking.get("budget_tokens")
    if thinking.get("type") != "enabled" or not isinstance(budget, int):
        return thinking.get("type") not in (None, "disabled")
    if out["max_tokens"] <= budget:  # thinking counts against max_tokens: leave the answer its room
        out["max_tokens"] += budget
    return True


def thinking_blocks(raw: Any, where: str) -> list[Json]:
    """An assistant message's ``thinking_blocks`` as Anthropic blocks (a block without a
    signature cannot be sent back and is left out, as Claude would refuse it)."""
    if raw is None:
        return []
    blocks: list[Json] = []
    for k, block in enumerate(expect_list(raw, where)):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "redacted_thinking" and isinstance(block.get("data"), str):
            blocks.append({"type": "redacted_thinking", "data": block["data"]})
        elif kind == "thinking" and isinstance(block.get("signature"), str) and block["signature"]:
            blocks.append(
                {"type": "thinking", "thinking": str(block.get("thinking") or ""), "signature": block["signature"]}
            )
        elif kind not in ("thinking", "redacted_thinking"):
            raise TranslationError("must be a thinking or redacted_thinking block", f"{where}[{k}].type")
    return blocks
