"""Errors the inventory raises for people: each names the file and what to change."""

from __future__ import annotations


class InventoryError(Exception):
    """A user-facing problem with the inventory's inputs (no traceback needed)."""


class FormatMismatch(InventoryError):
    """A file is not what it was said (or detected) to be; the message says what it looks like instead."""
