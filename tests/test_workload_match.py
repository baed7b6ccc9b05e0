"""Workload matching: file-order precedence, each condition kind, defaults, help, path prefixes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.config import MatchRule, Workload
from modelswap.workload_match import WorkloadMatcher, normalize_prefix, strip_path_prefix

CHAT = "/v1/chat/completions"


def workload(name: str, *rules: dict[str, Any]) -> Workload:
    return Workload(name=name, match=tuple(MatchRule(**r) for r in rules))


def match(
    matcher: WorkloadMatcher,
    *,
    path: str = CHAT,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    key_name: str | None = None,
) -> str | None:
    return matcher.match(path=path, headers=headers or {}, body=body or {}, key_name=key_name)


SUPPORT = workload("support-chat", {"header": {"x-modelswap-workload": "support-chat"}})
TRIAGE = workload("ticket-triage", {"path_prefix": "/triage"}, {"api_key": "triage-app"})


def test_the_first_matching_workload_in_file_order_wins() -> None:
    first = workload("first", {"user_prefix": "team-"})
    second = workload("second", {"user_prefix": "team-a"})
    body = {"user": "team-a-1"}
    assert match(WorkloadMatcher([first, second], None), body=body) == "first"
    assert match(WorkloadMatcher([second, first], None), body=body) == "second"


@pytest.mark.parametrize(
    ("rule", "hit", "miss"),
    [
        ({"header": {"x-team": "blue"}}, {"headers": {"x-team": "blue"}}, {"headers": {"x-team": "Blue"}}),
        (
            {"metadata": {"feature": "triage"}},
            {"body": {"metadata": {"feature": "triage", "other": "x"}}},
            {"body": {"metadata": {"feature": "triage-v2"}}},
        ),
        ({"user_prefix": "ops-"}, {"body": {"user": "ops-17"}}, {"body": {"user": "dev-ops-17"}}),
        ({"api_key": "triage-app"}, {"key_name": "triage-app"}, {"key_name": "support-app"}),
        ({"path_prefix": "/triage"}, {"path": "/triage/v1/chat/completions"}, {"path": CHAT}),
    ],
)
def test_each_condition_kind(rule: dict[str, Any], hit: dict[str, Any], miss: dict[str, Any]) -> None:
    matcher = WorkloadMatcher([workload("w", rule)], None)
    assert match(matcher, **hit) == "w"
    assert match(matcher, **miss) is None
    assert match(matcher) is None


def test_every_condition_of_a_rule_must_hold() -> None:
    rule = {"header": {"x-team": "blue"}, "user_prefix": "ops-", "path_prefix": "/triage"}
    matcher = WorkloadMatcher([workload("w", rule)], None)
    full: dict[str, Any] = {
        "path": "/triage/v1/chat/completions",
        "headers": {"x-team": "blue"},
        "body": {"user": "ops-1"},
    }
    assert match(matcher, **full) == "w"
    for drop in ("path", "headers", "body"):
        assert match(matcher, **{k: v for k, v in full.items() if k != drop}) is None


def test_any_one_rule_of_a_workload_is_enough() -> None:
    matcher = WorkloadMatcher([TRIAGE], None)
    assert match(matcher, path="/triage/v1/chat/completions") == "ticket-triage"
    assert match(matcher, key_name="triage-app") == "ticket-triage"


def test_header_names_are_case_insensitive() -> None:
    matcher = WorkloadMatcher([workload("w", {"header": {"X-ModelSwap-Workload": "w"}})], None)
    assert match(matcher, headers={"x-modelswap-workload": "w"}) == "w"


def test_metadata_values_match_only_as_exact_strings() -> None:
    matcher = WorkloadMatcher([workload("w", {"metadata": {"tier": "1"}})], None)
    assert match(matcher, body={"metadata": {"tier": "1"}}) == "w"
    assert match(matcher, body={"metadata": {"tier": 1}}) is None
    assert match(matcher, body={"metadata": "tier=1"}) is None
    assert match(matcher, body={"metadata": None}) is None


def test_a_non_string_user_never_matches_a_prefix() -> None:
    matcher = WorkloadMatcher([workload("w", {"user_prefix": "1"})], None)
    assert match(matcher, body={"user": 123}) is None


def test_unmatched_requests_go_to_the_default_workload() -> None:
    matcher = WorkloadMatcher([SUPPORT, TRIAGE], "support-chat")
    assert matcher.default_workload == "support-chat"
    assert match(matcher, headers={"x-modelswap-workload": "nope"}) == "support-chat"
    assert match(matcher, key_name="triage-app") == "ticket-triage"


def test_a_default_that_is_not_a_workload_is_refused() -> None:
    with pytest.raises(ValueError, match="'missing' is not a workload; known: support-chat"):
        WorkloadMatcher([SUPPORT], "missing")


def test_the_no_match_message_says_how_each_workload_is_recognised() -> None:
    matcher = WorkloadMatcher([SUPPORT, TRIAGE, workload("batch")], None)
    message = matcher.explain_no_match(path=CHAT)
    assert CHAT in message
    assert 'send header "x-modelswap-workload: support-chat"' in message
    assert "call paths under /triage" in message
    assert 'gateway key named "triage-app"' in message
    assert "batch" not in message  # no rules: only reachable as the default
    assert "gateway.default_workload" in message
    assert "api_key rules cannot match" in message  # key_name was None


def test_the_no_match_message_with_a_key_and_metadata_and_user_rules() -> None:
    rules = ({"metadata": {"feature": "faq"}, "user_prefix": "kb-"},)
    message = WorkloadMatcher([workload("faq", *rules)], None).explain_no_match(key_name="app")
    assert '"metadata": {"feature": "faq"}' in message
    assert 'starting with "kb-"' in message
    assert "api_key rules" not in message


@pytest.mark.parametrize(
    ("path", "prefix", "rest"),
    [
        ("/triage/v1/chat/completions", "/triage", CHAT),
        ("/triage/v1/chat/completions", "/triage/", CHAT),
        ("/triage/v1/chat/completions", "triage", CHAT),
        ("/triage", "/triage", "/"),
        ("/triage/", "/triage", "/"),
        ("/triagex/v1/chat/completions", "/triage", None),
        (CHAT, "/triage", None),
        (CHAT, "/", CHAT),
        ("/a/b/v1/messages", "/a/b", "/v1/messages"),
    ],
)
def test_strip_path_prefix(path: str, prefix: str, rest: str | None) -> None:
    assert strip_path_prefix(path, prefix) == rest


def test_path_prefixes_match_whole_segments() -> None:
    matcher = WorkloadMatcher([TRIAGE], None)
    assert match(matcher, path="/triagex/v1/chat/completions") is None


def test_route_path_strips_the_longest_configured_prefix() -> None:
    workloads = [workload("a", {"path_prefix": "/t"}), workload("b", {"path_prefix": "/t/deep/"})]
    matcher = WorkloadMatcher(workloads, None)
    assert matcher.route_path("/t/v1/models") == "/v1/models"
    assert matcher.route_path("/t/deep/v1/messages") == "/v1/messages"
    assert matcher.route_path(CHAT) == CHAT
    assert matcher.route_path("/tx/v1/models") == "/tx/v1/models"


@given(st.lists(st.text(alphabet="abc/", max_size=6), max_size=4))
def test_normalized_prefixes_start_with_a_slash_and_never_end_with_one(parts: list[str]) -> None:
    prefix = normalize_prefix("/".join(parts))
    assert prefix == "" or (prefix.startswith("/") and not prefix.endswith("/"))
