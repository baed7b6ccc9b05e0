"""What a record keeps of a body under each policy."""

from __future__ import annotations

import pytest

from modelswap.gateway.redact import keep

SECRETS = [
    "sk-abcdefghijklmnopqrstuvwx",
    "sk-proj-abcdefghijklmnop0123",
    "sk-ant-api03-abcdefghijklmnop",
    "AKIAABCDEFGHIJKLMNOP",
    "ghp_" + "a" * 36,
    "xoxb-1234567890-abcdef",
    "Bearer abcdefghijklmnopqrstuvwxyz.123",
]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("policy", ["full", "redacted"])
def test_secrets_are_masked_under_every_policy(secret: str, policy: str) -> None:
    out = keep({"content": f"here it is: {secret} thanks"}, policy)  # type: ignore[arg-type]
    assert out == {"content": "here it is: [secret] thanks"}


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to jane.doe@example.com today", "write to [email] today"),
        ("card 4111 1111 1111 1111 please", "card [card] please"),
        ("call +1 (555) 123-4567 now", "call [phone] now"),
    ],
)
def test_redacted_masks_personal_data_full_keeps_it(text: str, masked: str) -> None:
    assert keep(text, "redacted") == masked
    assert keep(text, "full") == text


def test_secret_field_names_are_masked_whatever_their_value() -> None:
    body = {"metadata": {"Authorization": "xyz", "api_key": "short", "password": 12, "user": "bob"}}
    assert keep(body, "full") == {
        "metadata": {"Authorization": "[secret]", "api_key": "[secret]", "password": "[secret]", "user": "bob"}
    }


def test_structure_and_non_text_values_are_kept() -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "a@b.co is me"}]}], "n": 1, "x": None}
    assert keep(body, "redacted") == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "[email] is me"}]}],
        "n": 1,
        "x": None,
    }


def test_none_keeps_nothing() -> None:
    assert keep({"content": "anything"}, "none") is None
    assert keep(None, "full") is None


def test_ordinary_text_is_untouched() -> None:
    text = "Order ORD-48213 shipped on 2025-06-01; version 1.2.3 costs 12.50"
    assert keep(text, "redacted") == text


def test_a_record_keeps_both_bodies_as_the_policy_says() -> None:
    from datetime import UTC, datetime

    from modelswap.gateway.redact import keep_request
    from modelswap.store import RequestRow

    row = RequestRow(
        ts=datetime.now(UTC),
        workload="w",
        arm="old",
        endpoint="old",
        model="m",
        status=200,
        latency_ms=1.0,
        request_body={"messages": [{"role": "user", "content": "mail a@b.co, key sk-abcdefghijklmnopqrstuv"}]},
        response_body={"choices": [{"message": {"content": "call +1 (555) 123-4567"}}]},
    )
    redacted = keep_request(row, "redacted")
    assert redacted.request_body == {"messages": [{"role": "user", "content": "mail [email], key [secret]"}]}
    assert redacted.response_body == {"choices": [{"message": {"content": "call [phone]"}}]}
    full = keep_request(row, "full")
    assert full.request_body == {"messages": [{"role": "user", "content": "mail a@b.co, key [secret]"}]}
    assert full.response_body == row.response_body
    assert keep_request(row, "none").request_body is None
