"""Live answer checks (no expected answer needed) and the Slack-compatible webhook."""

from __future__ import annotations

import json

import httpx
from hypothesis import given
from hypothesis import strategies as st

from modelswap.rollout.quality import live_check
from modelswap.rollout.webhook import message, slack_webhook

WANTS_JSON = {"response_format": {"type": "json_object"}, "messages": []}


def openai_answer(text: str) -> dict[str, object]:
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


def test_json_requested_and_returned_passes_otherwise_fails() -> None:
    assert live_check(WANTS_JSON, openai_answer('{"a": 1}')) is True
    assert live_check(WANTS_JSON, openai_answer("Sure! {a: 1}")) is False
    assert live_check(WANTS_JSON, {"content": [{"type": "text", "text": "[1, 2]"}]}) is True


def test_nothing_checkable_is_not_scored() -> None:
    assert live_check({"messages": []}, openai_answer("hello")) is None
    assert live_check(WANTS_JSON, None) is None  # bodies not recorded
    assert live_check("redacted", openai_answer("{}")) is None


@given(
    request=st.recursive(st.none() | st.text() | st.integers(), lambda c: st.dictionaries(st.text(), c) | st.lists(c))
)
def test_any_recorded_body_gives_an_answer_not_an_error(request: object) -> None:
    assert live_check(request, request) in (True, False, None)


def test_the_webhook_posts_slack_json_and_survives_a_failing_hook() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200 if len(seen) == 1 else 500)

    notify = slack_webhook("https://hooks.example/T000/B000/secret", transport=httpx.MockTransport(handler))
    notify("rollback", "extraction", "error_rate: new 8.00 % vs old 1.00 %")
    notify("promote", "extraction", "promote to 10 %")  # the hook answers 500: logged, not raised
    assert seen[0] == message("rollback", "extraction", "error_rate: new 8.00 % vs old 1.00 %")
    assert seen[0]["text"].startswith(":rotating_light: modelswap · extraction · rollback: error_rate")
