"""``modelswap eval``: commands are registered here on the shared Typer app."""

from __future__ import annotations

from modelswap.cli.app import app  # noqa: F401
