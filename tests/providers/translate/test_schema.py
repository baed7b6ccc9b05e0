"""OpenAI strict schemas rewritten for Claude's structured output."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from modelswap.providers.translate import TranslationError
from modelswap.providers.translate.schema import claude_schema, openai_strict_schema


class Item(BaseModel):
    sku: str = Field(pattern=r"^[A-Z]{3}-\d+$", description="Stock code")
    quantity: int = Field(ge=1, le=99)


class Order(BaseModel):
    email: str = Field(json_schema_extra={"format": "email"})
    items: list[Item] = Field(min_length=2)
    note: str | None = Field(max_length=200)


def test_a_pydantic_schema_keeps_its_shape_and_moves_unenforceable_limits_to_descriptions() -> None:
    out = claude_schema(Order.model_json_schema())
    item = out["$defs"]["Item"]
    assert item["additionalProperties"] is False and item["required"] == ["sku", "quantity"]
    assert item["properties"]["quantity"] == {
        "type": "integer",
        "title": "Quantity",
        "description": "{maximum: 99, minimum: 1}",
    }
    assert item["properties"]["sku"]["description"] == "Stock code\n\n{pattern: ^[A-Z]{3}-\\d+$}"
    assert out["properties"]["email"] == {"type": "string", "title": "Email", "format": "email"}
    items = out["properties"]["items"]
    assert (
        items["items"] == {"$ref": "#/$defs/Item"} and "minItems" not in items and "minItems: 2" in items["description"]
    )
    assert [v.get("type") for v in out["properties"]["note"]["anyOf"]] == ["string", "null"]


def test_one_of_becomes_any_of_and_objects_are_closed() -> None:
    schema = {"oneOf": [{"type": "object", "properties": {}, "additionalProperties": True}, {"type": "string"}]}
    assert claude_schema(schema) == {
        "anyOf": [{"type": "object", "properties": {}, "additionalProperties": False}, {"type": "string"}]
    }


def test_hostile_schemas_are_refused_naming_where() -> None:
    with pytest.raises(TranslationError, match="properties must be an object") as info:
        claude_schema({"type": "object", "properties": [1]})
    assert info.value.where == "response_format.json_schema.schema.properties"
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(100):
        deep = {"type": "array", "items": deep}
    with pytest.raises(TranslationError, match="deeper than"):
        claude_schema(deep)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "properties",
                    "items",
                    "anyOf",
                    "oneOf",
                    "allOf",
                    "$ref",
                    "$defs",
                    "enum",
                    "minItems",
                    "format",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_is_a_schema_or_a_translation_error(value: Any) -> None:
    try:
        out = claude_schema(value)
    except TranslationError as exc:
        assert exc.where.startswith("response_format.json_schema.schema")
        return
    assert isinstance(out, dict)


def test_openai_strict_schema_requires_every_property_and_closes_objects() -> None:
    schema = {
        "type": "object",
        "properties": {
            "properties": {"type": "string"},  # a field named like the keyword stays a field
            "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["properties"],
    }
    out = openai_strict_schema(schema)
    assert out["required"] == ["properties", "tags", "note"] and out["additionalProperties"] is False
    assert out["properties"]["properties"] == {"type": "string"}
    assert out["properties"]["tags"]["items"]["required"] == ["k"]
    assert out["properties"]["tags"]["items"]["additionalProperties"] is False
    assert out["properties"]["note"] == schema["properties"]["note"]  # type: ignore[index]


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_is_made_strict_or_a_translation_error(value: Any) -> None:
    try:
        openai_strict_schema(value)
    except TranslationError as exc:
        assert "deeper" in exc.message
