"""The migration file (``migration.yaml``): loaded once into one immutable model.

This is the only module that reads the environment. Everything else receives the
``Migration`` (or the part it needs) as an argument. A bad file raises
``ConfigError`` whose issues each name ``file:line: field: what is wrong``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from modelswap.catalog.providers import kind_names, provider_kind
from modelswap.config_base import ENV_NAME as ENV_NAME
from modelswap.config_base import SECRET_LIKE as SECRET_LIKE
from modelswap.config_base import SLUG as SLUG
from modelswap.config_base import SettingsModel as _Model
from modelswap.config_errors import ConfigError as ConfigError
from modelswap.config_errors import ConfigIssue, issues_from_validation
from modelswap.config_gateway import Gateway as Gateway
from modelswap.config_gateway import GatewayKey as GatewayKey
from modelswap.config_prepare import prepare
from modelswap.config_routing import routing_issues
from modelswap.config_upstream import RetryBudgetSettings as RetryBudgetSettings
from modelswap.config_upstream import UpstreamSettings as UpstreamSettings
from modelswap.config_workload import ErrorRateGate as ErrorRateGate
from modelswap.config_workload import EscalationRateGate as EscalationRateGate
from modelswap.config_workload import Gates as Gates
from modelswap.config_workload import HumanReviewGate as HumanReviewGate
from modelswap.config_workload import MatchRule as MatchRule
from modelswap.config_workload import PassRateGate as PassRateGate
from modelswap.config_workload import RatioGate as RatioGate
from modelswap.config_workload import RedteamGate as RedteamGate
from modelswap.config_workload import RollbackTrigger as RollbackTrigger
from modelswap.config_workload import Rollout as Rollout
from modelswap.config_workload import Routing as Routing
from modelswap.config_workload import Step as Step
from modelswap.config_workload import Workload as Workload
from modelswap.sim_profile import ProfileOverride, SimConfig
from modelswap.yamlsource import Locations, YamlError, load_yaml, read_yaml_text


class Price(_Model):
    """A price override in USD per 1M tokens; wins over the built-in catalog."""

    input: float = Field(ge=0)
    """USD per 1M input (prompt) tokens."""
    output: float = Field(ge=0)
    """USD per 1M output (completion) tokens."""
    cached_input: float | None = Field(default=None, ge=0)
    """USD per 1M cached input tokens; the input price when absent."""


class Endpoint(_Model):
    """A named model behind a provider (``old``, ``new`` or an extra candidate)."""

    provider: str
    """``openai`` for any OpenAI-compatible server, ``anthropic`` for the Messages API,
    ``sim`` for the built-in simulator (started in-process when no base_url is given), or a
    kind a provider module registers (``providers/registry.py``)."""
    model: str = Field(min_length=1)
    """The model id the provider knows, e.g. ``gpt-5`` or ``claude-sonnet-4-5``."""
    base_url: str | None = None
    """Where the provider listens; defaults to the vendor's public URL (or the embedded simulator)."""
    api_key_env: str | None = None
    """NAME of the environment variable that holds the API key (never the key itself)."""
    price: Price | None = None
    """Overrides the catalog's price for this model."""
    timeout_s: float | None = Field(default=None, gt=0, le=3600)
    """Shorthand for ``first_byte_timeout_s`` and ``idle_timeout_s`` together."""
    connect_timeout_s: float | None = Field(default=None, gt=0, le=600)
    """Overrides ``upstream.connect_timeout_s`` (5 s) for this endpoint."""
    first_byte_timeout_s: float | None = Field(default=None, gt=0, le=3600)
    """Overrides ``upstream.first_byte_timeout_s`` (60 s): how long the answer may take to begin
    (a non-streamed answer: to arrive whole). Raise it for a reasoning model answering non-streamed."""
    idle_timeout_s: float | None = Field(default=None, gt=0, le=3600)
    """Overrides ``upstream.idle_timeout_s`` (60 s): the longest silence inside a stream."""
    max_retries: int = Field(default=2, ge=0, le=10)
    """Serving: retries of a connection that could not be opened (the request never left, so a retry
    repeats nothing); the app's own SDK retries what the vendor answered, told by ``x-should-retry``.
    Evals and other modelswap calls: retries on 429/5xx/timeouts, honouring ``Retry-After``."""

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        if provider_kind(value) is None:
            *rest, last = (repr(k) for k in kind_names())
            raise ValueError(f"got {value!r}; expected {', '.join(rest)} or {last}")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if SECRET_LIKE.match(value) and not value.isupper():
            raise ValueError(
                "this looks like an API key itself; put the key in an environment variable "
                "and write that variable's NAME here, e.g. OPENAI_API_KEY"
            )
        if not ENV_NAME.match(value):
            raise ValueError(f"expected an environment variable name like OPENAI_API_KEY, got {value!r}")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"expected an http(s) URL like http://127.0.0.1:8900/v1, got {value!r}")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _needs_key(self) -> Endpoint:
        kind = provider_kind(self.provider)
        if kind is not None and kind.key_env is not None and self.api_key_env is None:
            raise ValueError(
                f"api_key_env is required for provider {self.provider!r}: name the environment "
                f"variable that holds the key, e.g. api_key_env: {kind.key_env}"
            )
        return self

    def timeouts(self, upstream: UpstreamSettings) -> tuple[float, float, float]:
        """(connect, first byte, idle) seconds: this endpoint's own, else ``timeout_s``, else ``upstream``'s."""
        return (
            self.connect_timeout_s or upstream.connect_timeout_s,
            self.first_byte_timeout_s or self.timeout_s or upstream.first_byte_timeout_s,
            self.idle_timeout_s or self.timeout_s or upstream.idle_timeout_s,
        )

    def resolved_base_url(self) -> str | None:
        """The URL to call; ``None`` for a simulator endpoint that runs embedded."""
        if self.base_url:
            return self.base_url
        kind = provider_kind(self.provider)
        return kind.default_base_url if kind else None

    def api_key(self) -> str | None:
        """The key from the environment, or ``None`` when the variable is unset."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class Nightly(_Model):
    """The nightly golden-set eval that ``modelswap serve`` runs on a schedule."""

    enabled: bool = False
    """Run it from ``modelswap serve`` (``modelswap eval --nightly`` from cron works either way)."""
    at: str = Field(default="02:00", pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")
    """Local time of day, ``HH:MM``."""
    timezone: str = "UTC"
    """IANA zone the time is in, e.g. ``Europe/Paris``."""
    workloads: tuple[str, ...] = ()
    """Workloads to score; empty: every workload with a golden set."""
    endpoints: tuple[str, ...] = ("old", "new")
    """Endpoints to score each night."""
    concurrency: int = Field(default=16, ge=1, le=1024)
    """Model calls in flight at once."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; expected an IANA name like Europe/Paris") from None
        return value


class Simulator(_Model):
    """Settings of the built-in simulator used for ``provider: sim`` endpoints."""

    seed: int = 7
    """Seed for every deterministic choice the simulator makes."""
    time_scale: float = Field(default=1.0, ge=0)
    """Multiplies simulated latency: 0 answers at once, 1 is realistic."""
    error_scale: float = Field(default=1.0, ge=0)
    """Multiplies simulated error and 429 rates: 0 turns faults off."""
    models: dict[str, ProfileOverride] = Field(default_factory=dict)
    """Per-model profile overrides, e.g. ``{gpt-5: {quality: {extraction: 0.8}}}``."""

    def sim_config(self) -> SimConfig:
        """The simulator's own settings object."""
        return SimConfig(seed=self.seed, time_scale=self.time_scale, error_scale=self.error_scale, models=self.models)


class Migration(_Model):
    """One migration: the models, the workloads and how traffic moves between them."""

    version: Literal[1] = 1
    """Format version of this file."""
    name: str = "migration"
    """A name for reports."""
    scenario: str | None = None
    """A scenario preset (``modelswap init --scenario``): shapes defaults and the plan."""
    store: str = "sqlite:///modelswap.db"
    """Database URL: SQLite (default, relative to this file) or ``postgresql://`` for several replicas."""
    endpoints: dict[str, Endpoint]
    """Named models; ``old`` and ``new`` are required, others are candidates."""
    workloads: tuple[Workload, ...] = Field(min_length=1)
    """The slices of traffic being migrated."""
    rollout: Rollout = Rollout()
    """Default schedule for every workload."""
    gateway: Gateway = Gateway()
    """Gateway settings."""
    upstream: UpstreamSettings = UpstreamSettings()
    """How modelswap talks to the vendors: timeouts, answer limits, connections, retry budget."""
    simulator: Simulator = Simulator()
    """Simulator settings."""
    nightly: Nightly = Nightly()
    """The nightly eval schedule."""

    _source: str = PrivateAttr(default="<memory>")

    @model_validator(mode="after")
    def _consistent(self) -> Migration:
        missing = [n for n in ("old", "new") if n not in self.endpoints]
        if missing:
            raise ValueError(
                f"endpoints must define {' and '.join(missing)} (the model now serving, and its successor)"
            )
        for name in self.endpoints:
            if not SLUG.match(name):
                raise ValueError(f"endpoint name {name!r} must be a lowercase slug")
        names = [w.name for w in self.workloads]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"workload names must be unique; repeated: {', '.join(dupes)}")
        unknown = [w for w in self.nightly.workloads if w not in names]
        if unknown:
            raise ValueError(
                f"nightly.workloads names unknown workloads: {', '.join(unknown)}; known: {', '.join(names)}"
            )
        missing_arms = [e for e in self.nightly.endpoints if e not in self.endpoints]
        if missing_arms:
            raise ValueError(f"nightly.endpoints names unknown endpoints: {', '.join(missing_arms)}")
        if self.gateway.default_workload and self.gateway.default_workload not in names:
            raise ValueError(
                f"gateway.default_workload {self.gateway.default_workload!r} is not a workload; "
                f"known: {', '.join(names)}"
            )
        return self

    @property
    def source(self) -> str:
        """The file this was loaded from."""
        return self._source

    def workload(self, name: str) -> Workload:
        for w in self.workloads:
            if w.name == name:
                return w
        raise KeyError(f"no workload {name!r}; known: {', '.join(w.name for w in self.workloads)}")

    def missing_env(self) -> list[tuple[str, str]]:
        """(endpoint, variable) pairs whose API key variable is not set."""
        return [(n, e.api_key_env) for n, e in self.endpoints.items() if e.api_key_env and e.api_key() is None]

    def admin_token(self) -> str | None:
        """The admin token from the environment, if set."""
        return os.environ.get(self.gateway.admin_token_env) or None

    def metrics_token(self) -> str | None:
        """The ``/metrics`` bearer token from the environment, if ``gateway.metrics_token_env`` names one."""
        env = self.gateway.metrics_token_env
        return (os.environ.get(env) or None) if env else None

    def webhook_url(self, workload: str | None = None) -> str | None:
        """The rollout webhook URL from the variable ``rollout.webhook_url_env`` names (the workload's own first)."""
        env = (self.workload(workload).rollout if workload else self.rollout).webhook_url_env
        return (os.environ.get(env) or None) if env else None

    def env_gateway_keys(self) -> tuple[GatewayKey, ...]:
        """Gateway keys from ``gateway.keys_env`` (``name:sha256,…``)."""
        raw = os.environ.get(self.gateway.keys_env, "") if self.gateway.keys_env else ""
        keys = []
        for part in filter(None, (p.strip() for p in raw.split(","))):
            name, _, digest = part.partition(":")
            keys.append(GatewayKey(name=name, sha256=digest.lower()))
        return tuple(keys)


def parse_migration(text: str, file: str = "<string>", base_dir: Path | None = None) -> Migration:
    """Validate migration YAML text; raises ``ConfigError`` naming file:line:field."""
    try:
        raw, locs = load_yaml(text, file)
    except YamlError as exc:
        raise ConfigError([ConfigIssue(exc.file, exc.line, "", exc.message)]) from None
    if not isinstance(raw, dict):
        got = "an empty file" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError([ConfigIssue(file, 1, "", f"expected a mapping with endpoints and workloads, got {got}")])
    return _validate(raw, locs, base_dir or Path.cwd())


def _validate(raw: dict[str, Any], locs: Locations, base_dir: Path) -> Migration:
    try:
        migration = Migration.model_validate(prepare(raw, base_dir))
    except ValidationError as exc:
        raise ConfigError(issues_from_validation(exc, locs, Migration)) from None
    problems = routing_issues(migration.endpoints, [w.routing for w in migration.workloads], locs) + _scenario_issues(
        migration, locs
    )
    if problems:
        raise ConfigError(problems)
    migration._source = locs.file
    return migration


def _scenario_issues(migration: Migration, locs: Locations) -> list[ConfigIssue]:
    if migration.scenario is None:
        return []
    from modelswap.catalog import scenarios

    known = [s.slug for s in scenarios()]
    if migration.scenario in known:
        return []
    pos = locs.find(("scenario",))
    return [
        ConfigIssue(
            locs.file,
            pos.line if pos else 1,
            "scenario",
            f"unknown scenario {migration.scenario!r}; expected one of: {', '.join(known)}",
        )
    ]


def load_migration(path: str | Path) -> Migration:
    """Read and validate a migration file; every problem names file:line:field."""
    p = Path(path)
    try:
        text = read_yaml_text(p)
    except FileNotFoundError:
        raise ConfigError([ConfigIssue(str(p), 0, "", "file not found; create one with `modelswap init`")]) from None
    except YamlError as exc:
        raise ConfigError([ConfigIssue(exc.file, exc.line, "", exc.message)]) from None
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(p), 0, "", f"cannot read: {exc.strerror or exc}")]) from None
    return parse_migration(text, str(p), p.resolve().parent)


# ---------------------------------------------------------------- the process environment
# Everything else receives what it needs from here, so tests can hand in a plain mapping instead.
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def proxy_environment() -> dict[str, str]:
    """The outbound-proxy variables of this process (either case), for ``ProxyRules.from_env``."""
    return {name: value for name, value in os.environ.items() if name.lower() in PROXY_VARIABLES}


def keep_model_hub_offline() -> None:
    """Tell the embedding libraries never to reach the Hugging Face Hub (unless the user set otherwise)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
