"""Deprecation and retirement warnings, on fixed dates (never the real clock)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from modelswap.catalog import ModelInfo, Price, deprecation_warnings
from modelswap.catalog.deprecations import lifecycle_messages


def test_a_retired_model_says_requests_fail() -> None:
    [message] = deprecation_warnings("claude-opus-4-1", date(2026, 11, 25))
    assert "claude-opus-4-1 (Claude Opus 4.1) was retired on 2026-08-05" in message
    assert "requests to it fail" in message
    assert "platform.claude.com" in message


def test_retirement_day_itself_counts_as_retired() -> None:
    [message] = deprecation_warnings("claude-sonnet-4-5", date(2026, 11, 30))
    assert "was retired on 2026-11-30" in message


def test_retiring_within_the_window_gives_days_left_and_replacement() -> None:
    [message] = deprecation_warnings("gpt-5", date(2026, 11, 25), within_days=30)
    assert "is deprecated since 2026-06-11" in message
    assert "retires on 2026-12-11 (in 16 days)" in message
    assert "replacement: gpt-6.1-sol" in message


def test_tomorrow_is_spelled_out() -> None:
    [message] = deprecation_warnings("claude-sonnet-4-5", date(2026, 11, 29))
    assert "(tomorrow)" in message


def test_deprecated_but_retiring_beyond_the_window() -> None:
    [message] = deprecation_warnings("gpt-4o", date(2026, 10, 20), within_days=30)
    assert message.startswith("gpt-4o (GPT-4o) is deprecated since 2026-10-14; retires on 2027-01-14.")


def test_nothing_to_say_before_deprecation_and_outside_the_window() -> None:
    assert deprecation_warnings("gpt-4o", date(2026, 1, 1)) == []


def test_active_and_unknown_models_have_no_warnings() -> None:
    assert deprecation_warnings("claude-haiku-4-5", date(2026, 11, 25)) == []
    assert deprecation_warnings("no-such-model", date(2026, 11, 25)) == []


def test_the_message_names_the_id_that_was_sent() -> None:
    [message] = deprecation_warnings("gpt-4o-2024-08-06", date(2026, 12, 1))
    assert message.startswith("'gpt-4o-2024-08-06' (catalog entry gpt-4o, GPT-4o) is deprecated")


def test_a_datetime_is_accepted_as_today() -> None:
    assert deprecation_warnings("gpt-5", datetime(2026, 11, 25, 17, 30), within_days=30) == (
        deprecation_warnings("gpt-5", date(2026, 11, 25), within_days=30)
    )


def test_negative_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="within_days"):
        deprecation_warnings("gpt-5", date(2026, 11, 25), within_days=-1)


def test_deprecated_without_a_retirement_date() -> None:
    info = ModelInfo(
        id="m",
        vendor="openai",
        family="f",
        display_name="M",
        price=Price(input=1, output=2),
        source="https://example.com/pricing",
        checked=date(2026, 11, 25),
        deprecated=date(2026, 1, 1),
        lifecycle_source="https://example.com/deprecations",
    )
    [message] = lifecycle_messages(info, date(2026, 2, 1), within_days=90)
    assert "is deprecated since 2026-01-01; no retirement date is published yet." in message
    assert lifecycle_messages(info, date(2025, 12, 31), within_days=90) == []
