"""``{{var}}`` templating for prompts and assertion values: substitution only, nothing else.

promptfoo templates are Nunjucks; the subset a golden set needs is plain substitution of a
variable (``{{ name }}`` or a dotted path ``{{ user.name }}``). Anything else — filters, blocks,
expressions — is refused with an error rather than rendered wrongly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")


class TemplateError(ValueError):
    """A template uses syntax beyond ``{{var}}`` or a variable that has no value."""


def _lookup(variables: Mapping[str, Any], path: str) -> Any:
    value: Any = variables
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            known = ", ".join(sorted(variables)) or "none"
            raise TemplateError(f"{{{{{path}}}}} has no value in vars (vars: {known})")
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, bool)) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render(template: str, variables: Mapping[str, Any]) -> str:
    """``template`` with every ``{{var}}`` replaced by its value (JSON for dicts and lists)."""
    if "{%" in template or "{#" in template:
        raise TemplateError("template uses {% ... %} or {# ... #}; only {{var}} substitution is supported")

    def substitute(match: re.Match[str]) -> str:
        expr = match.group(1).strip()
        if not _NAME.fullmatch(expr):
            raise TemplateError(f"unsupported template expression {{{{{expr}}}}}; only {{{{var}}}} is supported")
        return _as_text(_lookup(variables, expr))

    return _TAG.sub(substitute, template)


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """``value`` with every string inside it (dict values, list items) rendered."""
    if isinstance(value, str):
        return render(value, variables) if "{{" in value or "{%" in value else value
    if isinstance(value, list):
        return [render_value(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: render_value(item, variables) for key, item in value.items()}
    return value
