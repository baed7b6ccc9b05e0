"""Built-in scorers: a passing and a failing example each, and their specs rebuild equal scorers."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.evals import Case, Output, ScorerSpecError, ToolCall, build_scorer, registered, spec_of

CASE = Case(id="c1", workload="w", messages=({"role": "user", "content": "q"},), expected={"answer": "1378"})
SCHEMA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}

# (spec, output that passes, output that fails)
EXAMPLES: list[tuple[dict[str, Any], Output, Output]] = [
    ({"type": "equals", "value": "378"}, Output(text=" 378\n"), Output(text="378.0")),
    ({"type": "equals"}, Output(text="1378"), Output(text="1377")),
    ({"type": "exact", "value": "Paris", "ignore_case": True}, Output(text="PARIS"), Output(text="Paris, France")),
    ({"type": "equals", "value": "a ", "strip": False}, Output(text="a "), Output(text="a")),
    ({"type": "equals", "value": {"a": 1}}, Output(text='{"a": 1.0}'), Output(text='{"a": true}')),
    ({"type": "contains", "value": "sunny"}, Output(text="It is SUNNY today"), Output(text="It rains")),
    ({"type": "contains", "value": "Sunny", "ignore_case": False}, Output(text="Sunny!"), Output(text="sunny!")),
    (
        {"type": "contains", "value": ["refund", "billing"]},
        Output(text="Billing handles refunds"),
        Output(text="refund"),
    ),
    ({"type": "contains", "value": ["refund", "billing"], "mode": "any"}, Output(text="refund"), Output(text="no")),
    ({"type": "regex", "pattern": r"ORD-\d{5}"}, Output(text="see ORD-12345"), Output(text="ORD-12")),
    (
        {"type": "regex", "pattern": "yes|no", "fullmatch": True, "ignore_case": True},
        Output(text="Yes"),
        Output(text="yes."),
    ),
    ({"type": "json_valid"}, Output(text='{"a": [1, 2]}'), Output(text="Here: {}")),
    ({"type": "json_valid", "extract": True}, Output(text='Sure!\n```json\n{"a": 1}\n```'), Output(text="{a: 1}")),
    ({"type": "json_schema", "schema": SCHEMA}, Output(text='{"name": "Ada"}'), Output(text='{"name": 3}')),
    (
        {"type": "json_field", "path": "customer.name", "value": "Ada"},
        Output(text='{"customer": {"name": "Ada"}}'),
        Output(text='{"customer": {}}'),
    ),
    (
        {"type": "json_field", "path": "amount", "value": None},
        Output(text='{"amount": null}'),
        Output(text='{"amount": 0}'),
    ),
    (
        {"type": "json_field", "path": "items.1", "value": 2},
        Output(text='{"items": [1, 2]}'),
        Output(text='{"items": [1]}'),
    ),
    ({"type": "numeric"}, Output(text="The total is 1,378."), Output(text="about 1400")),
    ({"type": "numeric", "value": 100, "rel_tol": 0.05}, Output(text="104.9 units"), Output(text="106")),
    ({"type": "numeric", "value": "3.14", "abs_tol": 0.01}, Output(text="pi ~ 3.141"), Output(text="no idea")),
    (
        {"type": "tool_call", "name": "lookup_order", "arguments": {"order_id": "A1"}},
        Output(tool_calls=(ToolCall("get_weather", {}), ToolCall("lookup_order", {"order_id": "A1"}))),
        Output(tool_calls=(ToolCall("lookup_order", {"order_id": "A1", "verbose": True}),)),
    ),
    (
        {"type": "tool_call", "name": "lookup_order", "arguments": {"order_id": "A1"}, "partial": True},
        Output(tool_calls=(ToolCall("lookup_order", {"order_id": "A1", "verbose": True}),)),
        Output(tool_calls=(ToolCall("lookup_order", {"order_id": "B2"}),)),
    ),
    (
        {"type": "tool_call", "name": "get_weather"},
        Output(tool_calls=(ToolCall("get_weather", {"city": "Oslo"}),)),
        Output(text="It is sunny"),
    ),
    ({"type": "refusal"}, Output(text="I'm sorry, but I can't help with that."), Output(text="Sure, here it is.")),
    (
        {"type": "refusal"},
        Output(text="I cannot assist with creating malware."),
        Output(text="I can help you with that!"),
    ),
    ({"type": "refusal", "expect": False}, Output(text="Your order ships Monday."), Output(text="I must decline.")),
    (
        {"type": "refusal", "phrases": ["not something we do"]},
        Output(text="That is not something we do."),
        Output(text="Done."),
    ),
    ({"type": "length", "max": 10}, Output(text="short"), Output(text="much too long")),
    ({"type": "length", "min": 2, "max": 3, "unit": "words"}, Output(text="two words"), Output(text="one")),
    (
        {"type": "not", "inner": {"type": "contains", "value": "as an AI"}},
        Output(text="Hello"),
        Output(text="As an AI..."),
    ),
    ({"type": "latency", "max_ms": 500}, Output(latency_ms=120.0), Output(latency_ms=900.0)),
    ({"type": "cost", "max_usd": 0.01}, Output(cost_usd=0.002), Output(cost_usd=0.5)),
]


@pytest.mark.parametrize(("spec", "good", "bad"), EXAMPLES, ids=[f"{e[0]['type']}-{i}" for i, e in enumerate(EXAMPLES)])
async def test_pass_and_fail(spec: dict[str, Any], good: Output, bad: Output) -> None:
    scorer = build_scorer(spec)
    passing, failing = await scorer.score(CASE, good), await scorer.score(CASE, bad)
    assert (passing.passed, passing.score) == (True, 1.0), passing.reason
    assert (failing.passed, failing.score) == (False, 0.0), failing.reason
    assert failing.reason and passing.spec == spec_of(scorer)


@pytest.mark.parametrize(("spec", "good", "bad"), EXAMPLES, ids=[f"{e[0]['type']}-{i}" for i, e in enumerate(EXAMPLES)])
def test_spec_round_trip(spec: dict[str, Any], good: Output, bad: Output) -> None:
    scorer = build_scorer(spec)
    canonical = spec_of(scorer)
    assert build_scorer(canonical) == scorer
    assert spec_of(build_scorer(canonical)) == canonical
    assert is_within(spec, canonical)


def is_within(spec: Any, canonical: Any) -> bool:
    """Whether every parameter written in ``spec`` is in ``canonical`` unchanged (defaults may be added)."""
    if isinstance(spec, dict) and isinstance(canonical, dict):
        return all(k == "type" or (k in canonical and is_within(v, canonical[k])) for k, v in spec.items())
    return bool(spec == canonical)


def test_aliases_give_the_canonical_type() -> None:
    assert spec_of(build_scorer({"type": "exact", "value": "x"}))["type"] == "equals"


def test_every_single_output_builtin_has_an_example() -> None:
    covered = {spec_of(build_scorer(spec))["type"] for spec, _, _ in EXAMPLES}
    needs_context = {"llm_judge", "pairwise_judge", "semantic_similarity", "python"}
    builtins = {name for name, cls in registered().items() if cls.__module__.startswith("modelswap.")}
    assert builtins - needs_context <= covered


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "sounds_right"}, "unknown scorer type 'sounds_right' (known: contains"),
        ({"value": "x"}, "no 'type' given"),
        ("equals", "a scorer spec is a mapping"),
        ({"type": "equals", "valeu": "x"}, "valeu: unknown parameter"),
        ({"type": "regex"}, "pattern: required parameter is missing"),
        ({"type": "regex", "pattern": "(", "ignore_case": "yes"}, "ignore_case: Input should be a valid boolean"),
        ({"type": "regex", "pattern": "("}, "bad regex '('"),
        ({"type": "contains", "mode": "some"}, "mode: Input should be 'all' or 'any'"),
        ({"type": "length", "min": 5, "max": 2}, "min (5) is greater than max (2)"),
        ({"type": "length"}, "give min, max or both"),
        ({"type": "numeric", "value": "many", "abs_tol": 1}, "holds no number"),
        ({"type": "numeric", "abs_tol": -1}, "abs_tol and rel_tol must be >= 0"),
        ({"type": "json_schema", "schema": {"type": "nope"}}, "invalid JSON schema"),
        ({"type": "json_field", "path": "a"}, "value: required parameter is missing"),
        ({"type": "not", "inner": {"type": "llm_judge", "rubric": "x"}}, "'not' wraps only scorers"),
        ({"type": "pairwise_judge"}, "compares two outputs; build it with build_pairwise_scorer"),
        ({"type": "equals", "scorer": "equals"}, "give the scorer type once"),
    ],
)
def test_bad_specs_name_the_spec_and_the_problem(spec: Any, message: str) -> None:
    with pytest.raises(ScorerSpecError) as info:
        build_scorer(spec)
    assert message in str(info.value)
    assert str(info.value).startswith("scorer spec ")


def test_scorer_key_is_accepted_as_the_type() -> None:
    assert spec_of(build_scorer({"scorer": "regex", "pattern": "x"}))["type"] == "regex"


async def test_no_reference_gives_an_undecided_score() -> None:
    bare = Case(id="c", workload="w", messages=({"role": "user", "content": "q"},))
    for spec in ({"type": "equals"}, {"type": "contains"}, {"type": "numeric"}):
        score = await build_scorer(spec).score(bare, Output(text="x"))
        assert score.passed is None and score.score is None and "no expected answer" in score.reason


async def test_reasons_say_what_differed() -> None:
    score = await build_scorer({"type": "equals", "value": "378"}).score(CASE, Output(text="377"))
    assert score.reason == "expected '378', got '377'"
    score = await build_scorer({"type": "json_field", "path": "amount", "value": 5}).score(
        CASE, Output(text='{"amount": 6}')
    )
    assert score.reason == "amount: expected 5, got 6"
    score = await build_scorer({"type": "tool_call", "name": "f", "arguments": {"x": 1}}).score(
        CASE, Output(tool_calls=(ToolCall("g", {"y": 2}),))
    )
    assert score.reason == 'expected f({"x": 1}); got g({"y": 2})'
