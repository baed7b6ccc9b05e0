"""Column types that behave the same on SQLite and PostgreSQL.

* ``UTCDateTime``: accepts only timezone-aware datetimes, stores UTC, always returns aware UTC.
  SQLite has no timezone type, so values are normalised to UTC before they are written; the
  stored text then sorts in time order and range queries work on both backends.
* ``FreeText``: text that may come from a model or a person. PostgreSQL text cannot hold NUL,
  and one NUL must not make a whole batch of records fail, so NUL becomes U+FFFD there.
* ``json_column()``: ``sa.JSON`` that stores Python ``None`` as SQL NULL. On PostgreSQL this
  is ``json``, not ``jsonb``: ``jsonb`` rejects ``\\u0000`` in strings, and bodies are stored
  to be read back exactly, not queried inside.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is timezone-aware UTC on the way in and on the way out."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given to the store; "
                "pass a timezone-aware datetime, e.g. datetime.now(UTC)"
            )
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class FreeText(sa.TypeDecorator[str]):
    """Unbounded text from models or people; NUL is replaced on PostgreSQL, which cannot store it."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and dialect.name == "postgresql" and "\x00" in value:
            return value.replace("\x00", "\ufffd")
        return value


def json_column() -> sa.JSON:
    """A JSON column type; Python ``None`` is stored as SQL NULL, not JSON ``null``."""
    return sa.JSON(none_as_null=True)
