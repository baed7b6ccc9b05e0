"""What a simulated model answers: the recognised task's right or wrong answer, or free chat.

``answer()`` is a pure function of (request digest, conversation, profile): the same
request to the same model always gets the same answer. A recognised task is answered
correctly when ``unit(digest, "quality") < quality[kind]``; otherwise wrongly.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import replace

from modelswap.sim.conversation import CHARS_PER_TOKEN, Answer, Conversation, ToolCall
from modelswap.sim.profiles import ModelProfile
from modelswap.sim.seeding import rng, unit
from modelswap.sim.tasks import Task, recognise_arithmetic, recognise_extraction, recognise_triage
from modelswap.sim.tool_tasks import recognise_tool_call, recognise_tool_results

RECOGNISERS: tuple[Callable[[Conversation], Task | None], ...] = (
    recognise_tool_results,
    recognise_tool_call,
    recognise_triage,
    recognise_extraction,
    recognise_arithmetic,
)
"""Tried in order; the first that recognises the request decides the task."""

_ID_ALPHABET = string.ascii_letters + string.digits


def recognise(conv: Conversation) -> Task | None:
    """The task the simulator knows the truth for, if the request is one."""
    for recogniser in RECOGNISERS:
        task = recogniser(conv)
        if task is not None:
            return task
    return None


def answer(conv: Conversation, key: bytes, profile: ModelProfile, max_tokens: int | None = None) -> Answer:
    """The model's answer to ``conv``; ``key`` is the request digest (seed, model, request)."""
    task = recognise(conv)
    if task is not None:
        correct = unit(key, "quality") < profile.quality_for(task.kind)
        result = replace(task.right() if correct else task.wrong(rng(key, "wrong")), correct=correct)
    elif conv.tool_choice == "required" or conv.forced_tool is not None:
        name = conv.forced_tool or conv.tools[0].name
        result = Answer(text="", tool_calls=(ToolCall("", name, {}),), kind="tools")
    else:
        result = Answer(text=free_chat(rng(key, "chat")), kind="default")
    return _finish(result, key, max_tokens)


def _finish(result: Answer, key: bytes, max_tokens: int | None) -> Answer:
    """Give tool calls deterministic ids and cut text longer than ``max_tokens``."""
    if result.tool_calls:
        ids = rng(key, "ids")
        calls = tuple(replace(c, id="".join(ids.choices(_ID_ALPHABET, k=24))) for c in result.tool_calls)
        result = replace(result, tool_calls=calls)
    if max_tokens is not None and not result.tool_calls and result.completion_tokens() > max_tokens:
        result = replace(result, text=result.text[: max_tokens * CHARS_PER_TOKEN], truncated=True)
    return result


_OPENERS = (
    "Thanks for reaching out.",
    "Happy to help with that.",
    "Good question.",
    "Thanks for the details.",
    "I can help with this.",
)
_BODIES = (
    "You can find this under Settings, then Account, in the web app or the mobile app.",
    "Most changes take effect right away, though some can take up to an hour to show everywhere.",
    "If the problem persists, clearing your browser cache and signing in again usually fixes it.",
    "Our plans can be changed at any time, and the difference is prorated on your next invoice.",
    "You will receive a confirmation email once the change has been processed.",
    "For security reasons, some actions require you to confirm your identity first.",
    "The export includes every record from the selected period as a CSV file.",
    "Team members you invite get the default role, which an admin can change later.",
    "Notifications can be tuned per project, so you only hear about what matters to you.",
    "Our support team is available around the clock if you need more help.",
    "The status page lists any ongoing incidents and their expected resolution time.",
    "Deleted items stay in the trash for 30 days before they are removed permanently.",
)
_CLOSERS = (
    "Let me know if there is anything else I can do.",
    "I hope this helps!",
    "Is there anything else you would like to know?",
    "Feel free to reply if you have more questions.",
)


def free_chat(r: random.Random) -> str:
    """Plausible support-style prose whose length (1-8 body sentences) depends on the hash."""
    n_body = 1 + int(r.random() ** 1.5 * 8)
    body = r.sample(_BODIES, k=min(n_body, len(_BODIES)))
    return " ".join([r.choice(_OPENERS), *body, r.choice(_CLOSERS)])
