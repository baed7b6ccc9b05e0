"""Which model serves a request, and which (if any) gets a shadow copy.

Pure decisions, called once per request: ``choose_arm`` takes the workload's current
``RoutingState`` and the request's sticky key and returns a ``Decision``. No I/O, no
clock, no randomness of its own; the caller passes a random value for requests that
carry no sticky key.

Bucketing is monotone: a key sits at a fixed point ``bucket(key, salt)`` in [0, 100)
and is on the new model iff that point is below the share. Raising the share from
1 % to 10 % to 50 % only adds keys to the new model; nobody flips back and forth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, Literal, get_args

Stage = Literal["shadow", "split", "full", "rolled_back"]
"""What the gateway does for a workload: the rollout controller maps its richer
stages onto these (planned → ``split`` at share 0, canary/promoting → ``split``,
retaining/retired → ``full``)."""

Arm = Literal["old", "new"]
"""One of the two models being migrated between."""

STAGES: frozenset[str] = frozenset(get_args(Stage))

STICKY_FALLBACK_HEADER = "x-session-id"
"""Header used as the sticky key when the workload's own sticky key is absent."""

_SCALE = 100.0 / 2**53  # 53 hash bits → [0, 100) exactly representable, never 100.0


@dataclass(frozen=True, slots=True)
class RoutingState:
    """A workload's routing as the gateway sees it; replaced whole on every change."""

    stage: Stage
    """Shadow, split, full or rolled back."""
    share: float
    """Percent (0–100) of the workload's traffic served by the new model in ``split``."""
    rollback: bool
    """The one-click rollback flag: when set, only the old model serves, whatever the stage."""
    mirror_old_when_full: bool = False
    """At ``full``, keep sending a shadow copy to the old model."""
    version: int = 0
    """Increases with every change, so replicas can tell a stale state from a fresh one."""

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"unknown routing stage {self.stage!r}; expected one of {sorted(STAGES)}")
        if not (isinstance(self.share, int | float) and math.isfinite(self.share) and 0 <= self.share <= 100):
            raise ValueError(f"share must be a percentage between 0 and 100, got {self.share!r}")
        if self.version < 0:
            raise ValueError(f"version must be >= 0, got {self.version}")


@dataclass(frozen=True, slots=True)
class Decision:
    """The model that answers the app, and the model that gets a shadow copy (if any)."""

    serve: Arm
    """The model whose answer goes back to the app."""
    shadow: Arm | None
    """The model that gets a copy off the serving path, or ``None``."""


_OLD = Decision("old", None)
_NEW = Decision("new", None)
_OLD_SHADOW_NEW = Decision("old", "new")
_NEW_SHADOW_OLD = Decision("new", "old")


def bucket(sticky_key: str, salt: str) -> float:
    """The key's fixed point in [0, 100); the salt (the workload name) decorrelates workloads.

    The salt is length-prefixed so no (salt, key) pair collides with another by concatenation.
    """
    data = f"{len(salt)}:{salt}{sticky_key}".encode("utf-8", "surrogatepass")
    digest = blake2b(data, digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 11) * _SCALE


def choose_arm(state: RoutingState, sticky_key: str | None, salt: str, random_value: float) -> Decision:
    """Which model serves this request and which one shadows it.

    ``random_value`` in [0, 1) is used only in ``split`` when there is no sticky key.
    The rollback flag wins over every stage: old serves, nothing is mirrored.
    """
    if state.rollback:
        return _OLD
    stage = state.stage
    if stage == "split":
        point = bucket(sticky_key, salt) if sticky_key is not None else random_value * 100.0
        return _NEW if point < state.share else _OLD
    if stage == "shadow":
        return _OLD_SHADOW_NEW
    if stage == "full":
        return _NEW_SHADOW_OLD if state.mirror_old_when_full else _NEW
    if stage == "rolled_back":
        return _OLD
    raise ValueError(f"unknown routing stage {stage!r}")  # unreachable: RoutingState validates


def sticky_key_of(spec: str, headers: Mapping[str, str], body: Mapping[str, Any]) -> str | None:
    """The value that keeps a user on one arm, per the workload's ``sticky_key`` spec.

    ``user``: the body's ``safety_identifier`` (OpenAI's successor to ``user``), else its
    ``user`` field, else ``metadata.user_id`` (Anthropic Messages). ``header:NAME``: that
    header. ``metadata:KEY``: that string in the body's ``metadata``. When the value is
    absent or empty, the ``x-session-id`` header is used; without that either, ``None``
    (the caller then splits per request at random).
    """
    kind, _, name = spec.partition(":")
    value: Any
    if kind == "user":
        value = next(
            (v for v in (body.get("safety_identifier"), body.get("user")) if isinstance(v, str) and v),
            _metadata_value(body, "user_id"),
        )
    elif kind == "header":
        value = headers.get(name.lower())
    elif kind == "metadata":
        value = _metadata_value(body, name)
    else:
        raise ValueError(f"unknown sticky_key {spec!r}; expected user, header:NAME or metadata:KEY")
    if isinstance(value, str) and value:
        return value
    return headers.get(STICKY_FALLBACK_HEADER) or None


def _metadata_value(body: Mapping[str, Any], key: str) -> Any:
    meta = body.get("metadata")
    return meta.get(key) if isinstance(meta, Mapping) else None
