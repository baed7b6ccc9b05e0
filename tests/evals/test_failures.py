"""Failed calls as the gates see them: a failed case for that model, kinds named, exclusions explained."""

from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.evals.failures import BOTH_FAILED, UNDECIDED, describe_kinds, error_kind, pair_outcomes
from modelswap.evals.results import CaseOutcome


def outcome(case: str, arm: str, passed: bool | None, error: str | None = None) -> CaseOutcome:
    return CaseOutcome(case, arm, "m", passed, None, None, error, False)


def test_error_kinds_from_provider_messages() -> None:
    assert error_kind("openai: HTTP 500 server_error: boom") == "HTTP 500 server_error"
    assert error_kind("openai: HTTP 400 invalid_request_error context_length_exceeded: too long") == (
        "HTTP 400 invalid_request_error context_length_exceeded"
    )
    assert error_kind("openai: HTTP 400 invalid_request_error: This model's maximum context length is 8192") == (
        "HTTP 400 invalid_request_error"
    )
    assert error_kind("anthropic: HTTP 529 (empty body)") == "HTTP 529"
    assert error_kind("openai: no answer from http://x/v1 within 60s") == "timeout"
    assert error_kind("openai: could not connect to http://x: refused") == "connection"
    assert error_kind("the call was cancelled") == "cancelled"
    assert error_kind("ValueError: odd") == "other error"
    assert describe_kinds({"timeout": 2, "HTTP 500": 30}) == "HTTP 500 ×30, timeout ×2"


def test_a_failed_call_fails_the_case_and_only_incomparable_cases_are_left_out() -> None:
    by_arm = {
        "old": {
            "a": outcome("a", "old", True),
            "b": outcome("b", "old", True),
            "c": outcome("c", "old", None, "openai: HTTP 400 invalid_request_error: too long"),
            "d": outcome("d", "old", True),
            "e": outcome("e", "old", True),
        },
        "new": {
            "a": outcome("a", "new", True),
            "b": outcome("b", "new", None, "openai: HTTP 500 server_error: boom"),
            "c": outcome("c", "new", None, "openai: HTTP 400 invalid_request_error: too long"),
            "d": outcome("d", "new", None),  # a judge could not decide
        },
    }
    paired = pair_outcomes(by_arm)
    assert (paired.old, paired.new) == ([True, True], [True, False])  # a, b
    assert paired.old_errors == [False, False, True, False] and paired.new_errors == [False, True, True, False]
    assert paired.excluded == {BOTH_FAILED: 1, UNDECIDED: 1}
    assert paired.errors["new"].count == 2 and paired.errors["old"].count == 1
    note = paired.note()
    assert "new: 2 failed calls (HTTP 400 invalid_request_error ×1, HTTP 500 server_error ×1)" in note
    assert "1 case left out because both models' calls failed (HTTP 400 invalid_request_error ×1)" in note
    assert "1 case left out because a scorer could not decide one model's answer" in note


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_error_message_gets_a_short_kind(message: str) -> None:
    kind = error_kind(message)
    assert kind and len(kind) <= 80 and "\n" not in kind
