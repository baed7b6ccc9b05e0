"""Hostile values in the request fields that translation and the simulator now act on.

Translation raises only ``TranslationError`` (a 400 naming the field); the simulator's
parsers raise only ``SimError`` (the vendor's 400); answers to what parses are well formed.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.providers.translate import TranslationError, anthropic_request_to_openai, openai_request_to_anthropic
from modelswap.providers.translate.request_to_anthropic import requested_n, untranslatable_fields
from modelswap.sim import anthropic_wire, openai_wire
from modelswap.sim.answers import answer
from modelswap.sim.errors import SimError
from modelswap.sim.profiles import default_profile

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
SCHEMA = st.fixed_dictionaries(
    {"type": st.sampled_from(["object", "array", "string", "integer", 7, None])},
    optional={
        "properties": st.dictionaries(st.text(max_size=5), JSON, max_size=3),
        "required": JSON,
        "items": JSON,
        "enum": JSON,
        "$ref": st.sampled_from(["#/$defs/X", "#/nope", "#", "x"]),
        "minItems": JSON,
        "maxLength": JSON,
    },
)
OPENAI_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "response_format": st.one_of(
            JSON,
            st.fixed_dictionaries(
                {"type": st.sampled_from(["text", "json_object", "json_schema", "xml"])},
                optional={
                    "json_schema": st.fixed_dictionaries(
                        {}, optional={"name": JSON, "strict": JSON, "schema": st.one_of(SCHEMA, JSON)}
                    )
                },
            ),
        ),
        "n": JSON,
        "logprobs": JSON,
        "top_logprobs": JSON,
        "stop": JSON,
        "parallel_tool_calls": JSON,
        "safety_identifier": JSON,
        "modalities": JSON,
    },
)
ANTHROPIC_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "output_config": st.one_of(
            JSON,
            st.fixed_dictionaries(
                {},
                optional={
                    "format": st.one_of(
                        JSON, st.builds(dict, type=st.just("json_schema"), schema=st.one_of(SCHEMA, JSON))
                    )
                },
            ),
        ),
        "output_format": JSON,
        "stop_sequences": JSON,
        "thinking": st.one_of(
            JSON,
            st.fixed_dictionaries(
                {"type": st.sampled_from(["enabled", "disabled", "adaptive", "x"])}, optional={"budget_tokens": JSON}
            ),
        ),
    },
)
ASK = [{"role": "user", "content": "What is 2 + 2? Answer in json."}]


@settings(max_examples=300, deadline=None)
@given(OPENAI_FIELDS)
def test_openai_fields_translate_or_name_the_field(fields: dict[str, Any]) -> None:
    body = {"model": "gpt-4o", "messages": ASK, **fields}
    try:
        out = openai_request_to_anthropic(body)
        n = requested_n(body)
    except TranslationError as exc:
        assert exc.where
        return
    assert untranslatable_fields(body) == [] and 1 <= n <= 128
    orjson.dumps(out)


@settings(max_examples=300, deadline=None)
@given(ANTHROPIC_FIELDS)
def test_anthropic_fields_translate_or_name_the_field(fields: dict[str, Any]) -> None:
    body = {"model": "claude", "max_tokens": 10, "messages": ASK, **fields}
    try:
        out = anthropic_request_to_openai(body)
    except TranslationError as exc:
        assert exc.where
        return
    fmt = out.get("response_format")
    assert fmt is None or (fmt["json_schema"]["strict"] is True and isinstance(fmt["json_schema"]["schema"], dict))


@settings(max_examples=300, deadline=None)
@given(OPENAI_FIELDS)
def test_simulator_parses_openai_fields_or_answers_a_400(fields: dict[str, Any]) -> None:
    try:
        parsed = openai_wire.parse_request({"model": "gpt-4o", "messages": ASK, **fields})
    except SimError as err:
        assert err.status == 400
        return
    result = answer(parsed.conv, b"k" * 16, default_profile())
    if parsed.conv.output_schema is not None or parsed.conv.json_mode:
        orjson.loads(result.text)


@settings(max_examples=300, deadline=None)
@given(ANTHROPIC_FIELDS)
def test_simulator_parses_anthropic_fields_or_answers_a_400(fields: dict[str, Any]) -> None:
    try:
        parsed = anthropic_wire.parse_request({"model": "claude", "max_tokens": 5000, "messages": ASK, **fields})
    except SimError as err:
        assert err.status == 400
        return
    result = answer(parsed.conv, b"k" * 16, default_profile(), parsed.max_tokens)
    if parsed.conv.output_schema is not None:
        orjson.loads(result.text)
