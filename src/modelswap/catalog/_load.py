"""Reading the catalog's YAML data files into validated pydantic objects.

Every error names the data file, the line of the entry, the entry itself and the field,
so a bad edit to ``data/*.yaml`` (or a user-supplied file) is fixed without a traceback hunt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

DATA_DIR = Path(__file__).with_name("data")

M = TypeVar("M", bound=BaseModel)


class CatalogDataError(ValueError):
    """A catalog data file is missing, is not valid YAML, or has an entry that fails validation."""


def read_entries(path: Path, section: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Return the mapping under the top-level ``section`` key and the 1-based line of each entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogDataError(f"{path}: catalog data file not found") from None
    except OSError as exc:
        raise CatalogDataError(f"{path}: cannot read catalog data file: {exc}") from exc
    try:
        root, data = _parse(text)
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for dates like 2026-13-01
        raise CatalogDataError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(section), dict) or not data[section]:
        raise CatalogDataError(f"{path}: expected a top-level '{section}:' mapping with at least one entry")
    entries: dict[str, Any] = {str(key): value for key, value in data[section].items()}
    return entries, _entry_lines(root, section)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for entry lines) and its data, from one parse: libyaml's when
    PyYAML has it (several times faster; every command that loads a migration reads the catalog)."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _entry_lines(root: yaml.Node | None, section: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key_node, value_node in root.value:
        if key_node.value == section and isinstance(value_node, yaml.MappingNode):
            for entry_key, _ in value_node.value:
                lines[str(entry_key.value)] = entry_key.start_mark.line + 1
    return lines


def validate_entry(
    model: type[M], key: str, payload: Any, *, path: Path, line: int | None, kind: str, id_field: str
) -> M:
    """Validate one entry (its key becomes ``id_field``); raise ``CatalogDataError`` naming it."""
    where = f"{path}:{line}" if line else str(path)
    if not isinstance(payload, dict):
        raise CatalogDataError(f"{where}: {kind} '{key}': expected a mapping of fields")
    if id_field in payload:
        raise CatalogDataError(
            f"{where}: {kind} '{key}': the {id_field} is the entry's key; remove the '{id_field}' field"
        )
    try:
        return model.model_validate({**payload, id_field: key})
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise CatalogDataError(f"{where}: {kind} '{key}': {problems}") from None


def _describe(err: Any) -> str:
    loc = ".".join(str(part) for part in err["loc"]) or "(entry)"
    got = err.get("input")
    shown = "" if isinstance(got, dict) or got is None else f" (got {got!r})"
    return f"{loc}: {err['msg']}{shown}"
