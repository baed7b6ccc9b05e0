"""What every section of the migration file shares: frozen models that refuse unknown fields and
document each field, and the patterns names are checked against."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SECRET_LIKE = re.compile(r"^(sk-|sk_|xai-|AIza|key-)|^[A-Za-z0-9_\-]{40,}$")


class SettingsModel(BaseModel):
    """A section of the migration file: immutable, unknown fields refused.

    Each field's docstring documents it in the code; pydantic is not asked to read them
    (``use_attribute_docstrings`` parses every class's source at import: ~0.1 s of CPU on every
    command, ``modelswap rollback`` included, for descriptions nothing displays)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
