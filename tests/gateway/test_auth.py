"""App keys and the admin token: names for right keys, refusals for wrong ones, closed admin by default."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.config import GatewayKey
from modelswap.gateway.auth import (
    KeyRing,
    Refusal,
    admin_ok,
    bearer_token,
    hash_key,
    presented_key,
)

SUPPORT_KEY = "msk-support-0123456789"
TRIAGE_KEY = "msk-triage-abcdefghij"


def ring(*pairs: tuple[str, str]) -> KeyRing:
    return KeyRing(GatewayKey(name=name, sha256=hash_key(key)) for name, key in pairs)


RING = ring(("support-app", SUPPORT_KEY), ("triage-app", TRIAGE_KEY))


def test_hash_key_is_hex_sha256() -> None:
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_the_right_key_gives_its_holders_name() -> None:
    assert RING.identify(SUPPORT_KEY) == "support-app"
    assert RING.identify(TRIAGE_KEY) == "triage-app"


@pytest.mark.parametrize("wrong", ["msk-support-012345678", SUPPORT_KEY + " ", SUPPORT_KEY.upper(), "x"])
def test_a_wrong_key_is_refused(wrong: str) -> None:
    assert RING.identify(wrong) is Refusal.UNKNOWN


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_key_is_refused_with_a_hint(missing: str | None) -> None:
    assert RING.identify(missing) is Refusal.MISSING
    assert "Authorization: Bearer" in Refusal.MISSING.message


@given(st.text(max_size=30) | st.none())
def test_an_empty_ring_is_open_to_any_key_or_none(presented: str | None) -> None:
    open_ring = KeyRing([])
    assert open_ring.is_open
    assert open_ring.identify(presented) is None


def test_rotation_two_keys_for_one_name_both_work() -> None:
    rotating = ring(("support-app", "old-key"), ("support-app", "new-key"))
    assert rotating.identify("old-key") == rotating.identify("new-key") == "support-app"
    assert len(rotating) == 2


def test_one_key_for_two_names_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="same sha256"):
        ring(("a", "shared"), ("b", "shared"))


def test_the_presented_key_never_shows_in_messages_or_repr() -> None:
    text = " ".join([repr(RING), *(r.message for r in Refusal)])
    assert SUPPORT_KEY not in text
    assert hash_key(SUPPORT_KEY) not in text


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Bearer\tabc", "abc"),
        ("  Bearer abc", "abc"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearerabc", None),
        ("Basic dXNlcjpwYXNz", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(value: str | None, token: str | None) -> None:
    assert bearer_token(value) == token


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ({"authorization": "Bearer from-openai-sdk"}, "from-openai-sdk"),
        ({"x-api-key": "from-anthropic-sdk"}, "from-anthropic-sdk"),
        ({"authorization": "Bearer first", "x-api-key": "second"}, "first"),
        ({"authorization": "Basic xyz", "x-api-key": "second"}, "second"),
        ({"x-api-key": "  "}, None),
        ({}, None),
    ],
)
def test_presented_key(headers: dict[str, str], key: str | None) -> None:
    assert presented_key(headers) == key


def test_keys_from_either_sdk_header_identify_the_same_holder() -> None:
    for headers in ({"authorization": f"Bearer {TRIAGE_KEY}"}, {"x-api-key": TRIAGE_KEY}):
        assert RING.identify(presented_key(headers)) == "triage-app"


@pytest.mark.parametrize("token", [None, ""])
def test_admin_is_closed_when_no_token_is_configured(token: str | None) -> None:
    assert not admin_ok({"authorization": "Bearer "}, token)
    assert not admin_ok({"authorization": "Bearer anything"}, token)
    assert not admin_ok({}, token)


def test_admin_needs_the_exact_token_as_bearer() -> None:
    token = "admin-secret"
    assert admin_ok({"authorization": "Bearer admin-secret"}, token)
    assert not admin_ok({"authorization": "Bearer admin-secre"}, token)
    assert not admin_ok({"authorization": "admin-secret"}, token)
    assert not admin_ok({"x-api-key": "admin-secret"}, token)
    assert not admin_ok({}, token)
