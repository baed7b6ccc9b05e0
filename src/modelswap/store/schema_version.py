"""The schema version this modelswap writes, apart from the tables so light readers need no SQLAlchemy."""

from __future__ import annotations

SCHEMA_VERSION = 12
"""The schema version this modelswap writes; ``schema_meta.version`` holds the database's."""
