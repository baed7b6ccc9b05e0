"""Quoting for the SQL text the inventory builds (literals, identifiers, JSONPaths)."""

from __future__ import annotations


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier (a CSV column name, which may hold anything)."""
    return '"' + name.replace('"', '""') + '"'


def key_path(*keys: str | int) -> str:
    """A JSONPath for nested keys and list indexes: ``key_path("metadata", "team")`` → ``$."metadata"."team"``."""
    out = "$"
    for key in keys:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += '."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return out
