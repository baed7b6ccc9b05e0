"""``{{var}}`` templating: substitution only; anything else is an error, not a wrong render."""

from __future__ import annotations

import pytest

from modelswap.evals.template import TemplateError, render, render_value


def test_substitution() -> None:
    assert render(
        "Hi {{name}}, {{ user.city }} {{items.1}}", {"name": "Ada", "user": {"city": "Oslo"}, "items": [1, 2]}
    ) == ("Hi Ada, Oslo 2")
    assert render("{{data}}", {"data": {"a": [1, True]}}) == '{"a": [1, true]}'
    assert render("no tags", {}) == "no tags"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{missing}}", r"\{\{missing\}\} has no value in vars \(vars: a\)"),
        ("{{ a | upper }}", "unsupported template expression"),
        ("{% if a %}x{% endif %}", "only {{var}} substitution is supported"),
    ],
)
def test_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        render(template, {"a": "x"})


def test_render_value_goes_inside_lists_and_dicts() -> None:
    assert render_value({"v": ["{{a}}", 3], "w": "{{a}}!"}, {"a": "x"}) == {"v": ["x", 3], "w": "x!"}
