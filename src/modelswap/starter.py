"""The commented example migration file ``modelswap init`` writes, shaped by a scenario preset.

It runs as is against the built-in simulator: endpoints use ``provider: sim`` and the
workloads point at sample golden sets copied next to the file.
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from modelswap.catalog import Scenario, scenario
from modelswap.catalog.current import Pick, preset_models
from modelswap.catalog.scenarios import saving_text

DEFAULT_SCENARIO = "gpt-4o-to-gpt-5"

# (workload, golden-set file stem in modelswap/sim/data, what it is)
SAMPLE_WORKLOADS = (
    ("ticket-triage", "ticket-triage", "classify support tickets into billing / bug / account / other"),
    ("extraction", "json-extraction", "pull name, e-mail and amount out of a message as JSON"),
    ("order-tools", "tool-call", "answer order and weather questions by calling tools"),
)


@dataclass(frozen=True, slots=True)
class Written:
    """What ``write_starter`` created."""

    migration: Path
    golden: tuple[Path, ...]
    picks: tuple[Pick, ...] = ()


def _gates(preset: Scenario) -> str:
    lines = []
    for gate in preset.plan.gates:
        if gate.metric == "pass_rate" and gate.max_drop_points is not None:
            lines.append(f"      pass_rate: {{max_drop_points: {gate.max_drop_points:g}, confidence: 0.95}}")
        elif gate.metric == "p95_latency_ms" and gate.max_increase_pct is not None:
            lines.append(f"      p95_latency: {{max_ratio: {1 + gate.max_increase_pct / 100:g}}}")
        elif gate.metric == "cost_per_request" and gate.max_increase_pct is not None:
            lines.append(f"      cost_per_request: {{max_ratio: {1 + gate.max_increase_pct / 100:g}}}")
        elif gate.metric == "cost_per_request" and gate.max_ratio is not None:
            lines.append(f"      cost_per_request: {{max_ratio: {gate.max_ratio:g}}}   # routed / strong")
        elif gate.metric == "escalation_rate" and gate.max_increase_points is not None:
            lines.append(
                f"      escalation_rate: {{max_percent: {gate.max_increase_points:g}}}   # share sent on to old"
            )
    return "\n".join(lines)


# The routing preset's demo workload: extraction answers are JSON, so a schema verifier can rate Haiku's.
ROUTED_WORKLOAD = ("extraction", "extraction-routing", "pull name, e-mail and amount out of a message as JSON")
_ROUTING = """\
    routing:                    # the new arm is a cascade: new (cheap) answers first, old (strong) when in doubt
      cheap: new
      strong: old
      signal:                   # keep the cheap answer only when it is JSON with the three fields
        type: verifier
        scorer:
          type: json_schema
          schema:
            type: object
            required: [name, email, amount]
            properties:
              name: {type: [string, "null"]}
              email: {type: [string, "null"]}
              amount: {type: [number, "null"]}
      threshold: 0.5  # uncalibrated: `modelswap route calibrate --write` picks it on the golden set
      streaming: buffer         # a streamed answer is held back (up to buffer_max_bytes) until it is rated
"""


def _sample_workloads(preset: Scenario) -> tuple[tuple[str, str, str], ...]:
    """The workloads the starter writes: the routing preset writes its one routed demo workload."""
    return (ROUTED_WORKLOAD,) if preset.plan.confidence_gate else SAMPLE_WORKLOADS


def _workloads(preset: Scenario) -> str:
    gates = _gates(preset)
    blocks = []
    routing = _ROUTING if preset.plan.confidence_gate else ""
    for name, stem, what in _sample_workloads(preset):
        blocks.append(
            f"  - name: {name}                # {what}\n"
            f"    match:\n"
            f"      - header: {{x-modelswap-workload: {name}}}\n"
            f"    golden_set: golden/{stem}.jsonl\n"
            f"{routing}"
            f"    gates:\n{gates}\n"
            f"    rollback_triggers:          # go/no-go: any of these during the canary rolls it back\n"
            f"      - {{metric: error_rate, max_increase_points: 2}}\n"
            f"      - {{metric: p95_latency, max_ratio: 1.5}}\n"
        )
    return "".join(blocks)


def render(preset_slug: str = DEFAULT_SCENARIO, today: date | None = None) -> str:
    """The migration file text for a scenario preset, with the models current on ``today``."""
    preset = scenario(preset_slug)
    day = today or date.today()
    old, new = preset_models(preset, day)
    saving = textwrap.fill(
        saving_text(preset, old.model, new.model), width=96, initial_indent="#   ", subsequent_indent="#     "
    )
    notes = "".join(f"#   - {n}\n" for n in preset.plan.plan_notes)
    return f"""\
# modelswap migration file, written by `modelswap init` on {day.isoformat()}.
#
# Scenario: {preset.title}, risk {preset.risk}
{notes}#
# Models picked from the catalog for {day.isoformat()}:
#   old: {old.reason}
#   new: {new.reason}
# Typical saving (catalog list prices, no cache; the gates judge recorded cost, not this figure):
{saving}
#
# It runs as is against the built-in simulator (provider: sim). To migrate real traffic,
# set each endpoint's provider to openai (any OpenAI-compatible server) or anthropic, and
# name the environment variable holding its key in api_key_env; never the key itself.
# Validate with: modelswap check migration.yaml

version: 1
name: {preset.slug}
scenario: {preset.slug}

# Where modelswap keeps request records, eval results, plan ticks and rollout state.
# SQLite next to this file by default; postgresql://user@host/db when several gateway
# replicas must share state (and obey the rollback flag within a second).
store: sqlite:///modelswap.db

endpoints:
  old:                          # the model serving production today
    provider: sim               # openai | anthropic | sim
    model: {old.model}
    # base_url: https://api.openai.com/v1
    # api_key_env: OPENAI_API_KEY
  new:                          # the model it moves to
    provider: sim
    model: {new.model}
    # price: {{input: 1.25, output: 10.0, cached_input: 0.125}}   # USD per 1M tokens; overrides the catalog

# Each workload is a slice of traffic with its own golden set, gates and rollout stage.
# A request belongs to the first workload whose match rule holds (header, metadata,
# user_prefix, api_key, path_prefix); others go to gateway.default_workload.
workloads:
{_workloads(preset)}
# The process's schedule; a workload may override any part under its own `rollout:`.
rollout:
  shadow_min_days: {preset.plan.shadow_min_days}           # both models run, only the old one serves
  canary: {{share: 1, hold_hours: 48}}
  steps:
    - {{share: 10, hold_hours: 24}}
    - {{share: 50, hold_hours: 24}}
    - {{share: 100, hold_hours: 0}}
  approval: first               # a person approves the canary (modelswap rollout approve); none: the controller alone
  retain_old_days: 30           # the old model stays deployable after 100 %

gateway:
  host: 127.0.0.1
  port: 8787
  default_workload: {_sample_workloads(preset)[0][0]}
  record_bodies: redacted       # full | redacted | none
  # keys: [{{name: my-app, sha256: <modelswap hash-key KEY>}}]   # empty: any key accepted (loopback only!)

nightly:                        # golden sets on both models every night (modelswap serve runs it)
  enabled: false                # or run `modelswap eval --nightly` from cron
  at: "02:00"
  timezone: UTC

simulator:
  seed: 7
  time_scale: 1.0               # 0 answers instantly; 1 is realistic vendor latency
  # models:                     # per-model overrides, e.g. make the new model weaker at extraction
  #   {new.model}: {{quality: {{extraction: 0.80}}}}
"""


def write_starter(
    directory: Path, preset_slug: str = DEFAULT_SCENARIO, *, force: bool = False, today: date | None = None
) -> Written:
    """Write ``migration.yaml`` and the sample golden sets into ``directory``."""
    target = directory / "migration.yaml"
    if target.exists() and not force:
        raise FileExistsError(f"{target} already exists; pass --force to overwrite it")
    day = today or date.today()
    picks = preset_models(scenario(preset_slug), day)
    text = render(preset_slug, day)
    directory.mkdir(parents=True, exist_ok=True)
    golden_dir = directory / "golden"
    golden_dir.mkdir(exist_ok=True)
    copied = []
    data = resources.files("modelswap.sim") / "data"
    for _, stem, _ in _sample_workloads(scenario(preset_slug)):
        dest = golden_dir / f"{stem}.jsonl"
        with resources.as_file(data / f"{stem}.jsonl") as src:
            shutil.copyfile(src, dest)
        copied.append(dest)
    tmp = target.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return Written(target, tuple(copied), picks)
