"""The signal registry: a spec rebuilds an equal signal; a bad spec says what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from modelswap.routing.signal import (
    Ask,
    Exchange,
    Signal,
    SignalSpecError,
    build_signal,
    registered_signals,
    signal,
    spec_of,
)

SPECS = [
    {"type": "verifier", "scorer": {"type": "json_valid"}},
    {"type": "verifier", "scorer": {"type": "regex", "pattern": "^(bug|billing)$"}, "tool_calls": True},
    {"type": "verifier", "tool_calls": True},
    {"type": "logprobs", "aggregate": "min"},
    {"type": "self_consistency", "samples": 3, "temperature": 0.5, "compare": "json"},
]


@pytest.mark.parametrize("spec", SPECS)
def test_a_spec_round_trips(spec: dict[str, object]) -> None:
    built = build_signal(spec)
    assert isinstance(built, Signal)
    assert build_signal(spec_of(built)) == built
    assert spec_of(build_signal(spec_of(built))) == spec_of(built)
    assert all(spec_of(built)[k] == v for k, v in spec.items())


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"scorer": {"type": "json_valid"}}, "no 'type' given (known: "),
        ({"type": "guess"}, "unknown signal type 'guess'"),
        ({"type": "verifier", "scorer": {"type": "json_valid"}, "threshold": 1}, "threshold: unknown parameter"),
        ({"type": "verifier", "tool_calls": "yes"}, "tool_calls: Input should be a valid boolean"),
        ({"type": "verifier", "scorer": {"type": "regex", "pattern": "("}}, "regex"),
        ({"type": "verifier"}, "give a scorer"),
    ],
)
def test_a_bad_spec_says_what_is_wrong(spec: dict[str, object], words: str) -> None:
    with pytest.raises(SignalSpecError) as info:
        build_signal(spec)
    assert words in str(info.value)


def test_a_spec_that_is_no_mapping_is_refused() -> None:
    with pytest.raises(SignalSpecError, match="a signal spec is a mapping"):
        build_signal(["verifier"])  # type: ignore[arg-type]


def test_the_builtins_are_registered() -> None:
    assert set(registered_signals()) == {"classifier", "logprobs", "self_consistency", "verifier"}


def test_a_name_taken_by_another_class_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @signal("verifier")
        @dataclass(frozen=True)
        class Impostor:
            needs_answer: ClassVar[bool] = False

            async def confidence(self, exchange: Exchange, ask: Ask | None) -> float:
                return 1.0
