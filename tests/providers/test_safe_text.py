"""Upstream error text is safe to show: no URL, address, credential or key survives, whoever wrote it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.providers.base import UpstreamError
from modelswap.providers.errors import protocol_error
from modelswap.providers.safe_text import MAX_ERROR_CHARS, safe_error_text


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("connection to http://alice:s3cret@10.1.2.3:8000/v1/chat/completions dropped", "s3cret", "dropped"),
        ("Connect call failed ('10.1.2.3', 8000)", "10.1.2.3", "Connect call failed"),
        ("upstream [fd00::5]:8443 refused", "fd00::5", "refused"),
        ("Incorrect API key provided: sk-proj-abcdef0123456789", "abcdef0123456789", "Incorrect API key"),
        ("sent Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9-x", "eyJhbGciOi", "sent"),
        ("bad request ?api_key=hunter22&x=1", "hunter22", "bad request"),
        ('{"password": "hunter22"}', "hunter22", "password"),
        ("alice:s3cret@proxy.internal said 407", "s3cret", "said 407"),
        ("line one\r\nX-Forged: log line", "\n", "X-Forged"),
    ],
)
def test_what_is_hidden_and_what_stays(text: str, gone: str, kept: str) -> None:
    shown = safe_error_text(text)
    assert gone not in shown and kept in shown


def test_words_that_only_look_like_secrets_stay() -> None:
    text = "Basic authentication failed; max_tokens: 4096 exceeds the limit for gpt-4o (task-specific)"
    assert safe_error_text(text) == text


def test_exact_secrets_are_hidden_whatever_their_shape() -> None:
    assert safe_error_text("the key local-dev-key-77 is unknown", ["local-dev-key-77"]) == "the key [secret] is unknown"


def test_long_text_is_cut() -> None:
    shown = safe_error_text("e" * 10 * MAX_ERROR_CHARS)
    assert len(shown) == MAX_ERROR_CHARS and shown.endswith("…")


def test_every_upstream_error_is_made_safe_however_it_was_built() -> None:
    built = UpstreamError("old: GET http://u:p@10.0.0.9/v1 failed", kind="server", status=500, provider="old")
    assert "10.0.0.9" not in built.message and "u:p" not in built.message and str(built) == built.message
    quoted = protocol_error("old", "body is not JSON", b"<html>502 from http://10.0.0.9:8000</html>")
    assert "10.0.0.9" not in quoted.message
    built.hide(["old: GET"])
    assert "old: GET" not in built.message and built.args == (built.message,)


_SECRET_URLS = st.builds(
    lambda user, password, host, port, path: f"https://{user}:{password}@{host}:{port}/{path}",
    st.from_regex(r"[a-z]{3,8}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9]{8,16}", fullmatch=True),
    st.sampled_from(["10.0.0.7", "vllm.internal", "[fd00::7]", "127.0.0.1"]),
    st.integers(1024, 65535),
    st.from_regex(r"[a-z/]{0,12}", fullmatch=True),
)


@settings(max_examples=200)
@given(before=st.text(max_size=200), url=_SECRET_URLS, after=st.text(max_size=200))
def test_no_url_or_credential_survives_in_any_text(before: str, url: str, after: str) -> None:
    password = url.split(":")[2].split("@")[0]
    shown = safe_error_text(f"{before} {url} {after}")
    assert password not in shown.replace("[secret]", "").replace("[url]", "") or password in before + after
    assert len(shown) <= MAX_ERROR_CHARS
    assert safe_error_text(shown) == shown, "applying it again changes nothing"
    assert not any(c in shown for c in "\r\n\x00")
