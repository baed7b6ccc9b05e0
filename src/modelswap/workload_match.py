"""Which workload a request belongs to.

A ``WorkloadMatcher`` is built once from the migration file and asked once per request.
The first workload, in file order, with any ``MatchRule`` whose every condition holds
wins; otherwise the default workload (or ``None``, which the caller turns into a 400
whose message comes from ``explain_no_match``).

Path prefixes match whole path segments: ``/triage`` matches ``/triage`` and
``/triage/v1/chat/completions`` but not ``/triagex/v1/chat/completions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from modelswap.config import MatchRule, Workload


def normalize_prefix(prefix: str) -> str:
    """``triage/`` → ``/triage``; ``/`` (or empty) → ``""``, which matches every path."""
    prefix = prefix.strip()
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    return prefix.rstrip("/")


def strip_path_prefix(path: str, prefix: str) -> str | None:
    """The rest of ``path`` after ``prefix`` (always starting with ``/``), or ``None`` if it does not match.

    ``strip_path_prefix("/triage/v1/chat/completions", "/triage") == "/v1/chat/completions"``.
    """
    return _remainder(path, normalize_prefix(prefix))


def _remainder(path: str, prefix: str) -> str | None:
    """``strip_path_prefix`` for an already normalised prefix (the per-request form)."""
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    if not rest:
        return "/"
    return rest if rest[0] == "/" else None


@dataclass(frozen=True, slots=True)
class _Rule:
    """A ``MatchRule`` precompiled for per-request checks."""

    workload: str
    headers: tuple[tuple[str, str], ...]
    metadata: tuple[tuple[str, str], ...]
    user_prefix: str | None
    api_key: str | None
    path_prefix: str | None

    @classmethod
    def of(cls, workload: str, rule: MatchRule) -> _Rule:
        return cls(
            workload=workload,
            headers=tuple((k.lower(), v) for k, v in (rule.header or {}).items()),
            metadata=tuple((rule.metadata or {}).items()),
            user_prefix=rule.user_prefix,
            api_key=rule.api_key,
            path_prefix=None if rule.path_prefix is None else normalize_prefix(rule.path_prefix),
        )

    def holds(self, path: str, headers: Mapping[str, str], body: Mapping[str, Any], key_name: str | None) -> bool:
        """Every condition given holds for this request."""
        if self.path_prefix is not None and _remainder(path, self.path_prefix) is None:
            return False
        if self.api_key is not None and key_name != self.api_key:
            return False
        for name, value in self.headers:
            if headers.get(name) != value:
                return False
        if self.user_prefix is not None:
            user = body.get("user")
            if not isinstance(user, str) or not user.startswith(self.user_prefix):
                return False
        if self.metadata:
            meta = body.get("metadata")
            if not isinstance(meta, Mapping):
                return False
            for key, value in self.metadata:
                if meta.get(key) != value:  # only the exact string matches
                    return False
        return True

    def describe(self) -> str:
        """What a client does to satisfy this rule, for people."""
        parts = [f'send header "{name}: {value}"' for name, value in self.headers]
        parts += [f'set "metadata": {{"{key}": "{value}"}} in the body' for key, value in self.metadata]
        if self.user_prefix is not None:
            parts.append(f'set "user" to a value starting with "{self.user_prefix}"')
        if self.api_key is not None:
            parts.append(f'authenticate with the gateway key named "{self.api_key}"')
        if self.path_prefix is not None:
            prefix = self.path_prefix
            parts.append(f"call paths under {prefix or '/'} (e.g. base URL http://HOST{prefix}/v1)")
        return " and ".join(parts)


class WorkloadMatcher:
    """Finds a request's workload; built once from the migration file's workloads."""

    __slots__ = ("_default", "_help", "_prefixes", "_rules", "_uses_keys")

    def __init__(self, workloads: Iterable[Workload], default_workload: str | None) -> None:
        workloads = tuple(workloads)
        names = [w.name for w in workloads]
        if default_workload is not None and default_workload not in names:
            known = ", ".join(names)
            raise ValueError(f"default workload {default_workload!r} is not a workload; known: {known}")
        self._default = default_workload
        self._rules = tuple(_Rule.of(w.name, r) for w in workloads for r in w.match)
        prefixes = {r.path_prefix for r in self._rules if r.path_prefix}
        self._prefixes = tuple(sorted(prefixes, key=len, reverse=True))
        self._uses_keys = any(r.api_key is not None for r in self._rules)
        self._help = _describe(workloads, self._rules, default_workload)

    @property
    def default_workload(self) -> str | None:
        """The workload for requests no rule matches, if any."""
        return self._default

    def match(
        self, *, path: str, headers: Mapping[str, str], body: Mapping[str, Any], key_name: str | None
    ) -> str | None:
        """The request's workload name; ``headers`` must have lower-cased names."""
        for rule in self._rules:
            if rule.holds(path, headers, body, key_name):
                return rule.workload
        return self._default

    def route_path(self, path: str) -> str:
        """``path`` without the longest configured path prefix, so ``/triage/v1/models`` → ``/v1/models``."""
        for prefix in self._prefixes:
            rest = _remainder(path, prefix)
            if rest is not None:
                return rest
        return path

    def explain_no_match(self, *, path: str | None = None, key_name: str | None = None) -> str:
        """A message for the 400 a caller sends when ``match`` returns ``None``: how to be recognised."""
        where = f" to {path}" if path else ""
        hint = ""
        if self._uses_keys and key_name is None:
            hint = " (this request used no named gateway key, so api_key rules cannot match)"
        return f"modelswap could not tell which workload this request{where} belongs to{hint}. {self._help}"


def _describe(workloads: tuple[Workload, ...], rules: tuple[_Rule, ...], default: str | None) -> str:
    """The static part of the no-match message, built once."""
    ways = []
    for w in workloads:
        own = [r.describe() for r in rules if r.workload == w.name]
        if own:
            ways.append(f"{w.name}: {'; or '.join(own)}")
    text = "No workload has match rules."
    if ways:
        text = "Workloads are recognised like this — " + " | ".join(ways) + "."
    if default is None:
        text += " Or set gateway.default_workload in the migration file to catch every other request."
    return text
