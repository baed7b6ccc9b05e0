"""A corpus of realistic secrets and personal data, and of look-alikes that must stay as they are."""

from __future__ import annotations

import orjson
import pytest

from modelswap.gateway.redact import keep, scrub

# each is masked whole under every policy (all of them are well-formed but not real)
SECRETS = [
    "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f",
    "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AbCdEf_gh",
    "sk_live_51HqLyjAbCdEfGhIjKlMnOpQr",
    "rk_live_51HqLyjZyXwVuTsRqPoNmLkJi",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAY34FZKBOKMUTVV7A",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
    "xoxb-2401234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "Bearer 8f14e45fceea167a5a36dedd4bea2543Zq",
]
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
    "aFDrBz9vFqU4yXGHVRiTRjHU5vNnE8Z0lNL4OqBq0m3vJ2a3GSEZ6Yk0bLVXcQ==\n"
    "-----END RSA PRIVATE KEY-----"
)
PERSONAL = [
    ("jane.doe+news@mail.example.co.uk", "[email]"),
    ("4111 1111 1111 1111", "[card]"),
    ("5500-0000-0000-0004", "[card]"),
    ("378282246310005", "[card]"),
    ("+1 (555) 123-4567", "[phone]"),
    ("+44 20 7946 0958", "[phone]"),
    ("01 23 45 67 89", "[phone]"),
    ("555.123.4567", "[phone]"),
    ("DE89 3704 0044 0532 0130 00", "[iban]"),
    ("GB82WEST12345698765432", "[iban]"),
]
# look-alikes: nothing here is a secret or personal data, and all of it is kept as is
LOOK_ALIKES = [
    "request id 123e4567-e89b-12d3-a456-426614174000 failed",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed it",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 matches",
    "Order ORD-48213 shipped on 2025-06-01; version 1.2.3 costs 12.50",
    "order #1234567890123456 is on its way",
    "your order number is 20250601-7731 and the invoice 88231",
    "tracking 1Z999AA10123456784 via UPS",
    "server 192.168.100.200 restarted at 2025-06-01 12:30:45",
    "the task-management skill and risk_level=low",
    "max_tokens=200, prompt_tokens: 112, total_tokens: 140",
    "reset your password in the settings page",
    "the bearer of this letter is welcome",
    "a bearer token looks like this-is-not-a-real-token-at-all",
    "@channel please review, thanks @jane",
    "see https://example.com/docs/getting-started.html for details",
    "pi is 3.14159265358979 and e is 2.718281828",
    "population 8 000 000 000 people",
    "the chatcmpl-AbCdEf0123456789 response had fp_44709d6fcb as fingerprint",
    "git stash list shows stash@{0} and stash@{1}",
    "SKU AKIA-2024 and AIza is a name",
]


@pytest.mark.parametrize("secret", [*SECRETS, PEM])
@pytest.mark.parametrize("policy", ["full", "redacted"])
def test_each_secret_is_masked_whole(secret: str, policy: str) -> None:
    out = keep({"content": f"my key:\n{secret}\nthanks"}, policy)  # type: ignore[arg-type]
    assert out == {"content": "my key:\n[secret]\nthanks"}


@pytest.mark.parametrize(("value", "placeholder"), PERSONAL)
def test_personal_data_is_masked_under_redacted_only(value: str, placeholder: str) -> None:
    text = f"Contact: {value}, thanks."
    assert scrub(text, pii=True) == f"Contact: {placeholder}, thanks."
    assert scrub(text, pii=False) == text


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_kept(text: str) -> None:
    assert scrub(text, pii=True) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("password=hunter2&user=bob", "password=[secret]&user=bob"),
        ("DB_PASSWORD: s3cr3t!", "DB_PASSWORD: [secret]"),
        ("client_secret = 'abc123XYZ'", "client_secret = '[secret]'"),
        ('{"client_secret": "abc 123"}', '{"client_secret": "[secret]"}'),
        ("aws_secret_access_key=abcdefgh12345678", "aws_secret_access_key=[secret]"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: [secret]"),
        ('{\\"password\\": \\"hunter2\\"}', '{\\"password\\": \\"[secret]\\"}'),
    ],
)
def test_values_of_secret_named_fields_in_text_are_masked(text: str, masked: str) -> None:
    assert scrub(text, pii=False) == masked


def test_secrets_inside_tool_call_arguments_are_masked_and_stay_json() -> None:
    arguments = orjson.dumps(
        {"host": "db.internal", "password": "hunter2", "api_key": "k-123", "notify": "ops@example.com"}
    ).decode()
    body = {
        "choices": [
            {"message": {"tool_calls": [{"type": "function", "function": {"name": "connect", "arguments": arguments}}]}}
        ]
    }
    out = keep(body, "redacted")
    kept = orjson.loads(out["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert kept == {"host": "db.internal", "password": "[secret]", "api_key": "[secret]", "notify": "[email]"}


def test_fields_named_like_secrets_are_masked_at_any_depth() -> None:
    body = {"metadata": {"DB_Password": "x", "client_secret": "y", "refresh_token": 1, "max_tokens": 5}}
    assert keep(body, "full") == {
        "metadata": {
            "DB_Password": "[secret]",
            "client_secret": "[secret]",
            "refresh_token": "[secret]",
            "max_tokens": 5,
        }
    }


def test_a_body_with_nothing_to_mask_comes_back_as_is() -> None:
    body = {"messages": [{"role": "user", "content": "Where is my order #4821?"}], "max_tokens": 200}
    assert keep(body, "redacted") is body


def test_nesting_deeper_than_the_limit_is_cut_not_crashed_on() -> None:
    body: object = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    for _ in range(2000):
        body = [body]
    out = keep(body, "full")
    text = orjson.dumps(out).decode()
    assert "[nested too deep]" in text and "sk-proj" not in text
