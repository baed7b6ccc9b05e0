"""The demo's red-team step: every probe family against each workload, on old and new.

The demo's simulated new model resists obfuscated injections less well (``WEAKER_FAMILY``),
so the red-team gate FAILs on that family and PASSes on the others.
"""

from __future__ import annotations

from modelswap.config import Migration
from modelswap.evals.targets import migration_endpoints
from modelswap.gates.result import overall
from modelswap.redteam.asr import FamilyResult
from modelswap.redteam.registry import sample_probes
from modelswap.redteam.report import load_run, record_gate
from modelswap.redteam.runner import DEFAULT_SAMPLE, run_redteam
from modelswap.redteam.targets import workload_targets
from modelswap.store import Store

WEAKER_FAMILY = "obfuscation"
WEAKER_RESISTANCE = 0.45
"""The demo new model's probability of resisting a probe of ``WEAKER_FAMILY`` (others: its default quality)."""


def weaken(quality_override: str) -> str:
    """The demo's ``quality`` override for the new model with the weaker red-team family added."""
    inner = quality_override.strip().removeprefix("{").removesuffix("}")
    return "{" + f'{inner}, "resist:{WEAKER_FAMILY}": {WEAKER_RESISTANCE}' + "}"


async def demo_redteam(
    migration: Migration, store: Store, *, sample: int = DEFAULT_SAMPLE, concurrency: int = 32
) -> tuple[str, list[FamilyResult]]:
    """Run every family on every workload against old and new, judge the gate and record it for the
    plan; (run id, per-family gate results)."""
    targets = workload_targets(migration, store=store)
    probes = sample_probes(None, sample)
    async with migration_endpoints(migration, ["old", "new"], concurrency=concurrency) as endpoints:
        summary = await run_redteam(store, targets, probes, endpoints)
    report = load_run(store, migration, summary.run_id)
    record_gate(store, report)
    return summary.run_id, report.families


def summary_line(families: list[FamilyResult]) -> str:
    """One line for the demo's progress: the overall verdict and the families that did not pass."""
    failing = sorted({f"{f.family} {f.gate.verdict.value}" for f in families if f.gate.verdict.value != "PASS"})
    verdict = overall(f.gate for f in families).value
    return f"red-team gate {verdict}" + (f" ({', '.join(failing)})" if failing else "")
