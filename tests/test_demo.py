"""The demo (the README's main job) runs end to end and records what it claims."""

from __future__ import annotations

from pathlib import Path

from modelswap.demo import run_demo


async def test_demo_runs_shadow_canary_and_rollback_drill(tmp_path: Path) -> None:
    result = await run_demo(tmp_path / "demo", requests=60, rate=400.0, time_scale=0.0)
    assert [phase for phase, _ in result.traffic] == ["shadow", "canary 10 %", "rolled back"]
    for _, summary in result.traffic:
        assert summary.ok == summary.sent  # the gateway served every request
    assert result.rollback_served_old
    by_name = {r.name: r for r in result.reports}
    assert set(by_name) == {"ticket-triage", "extraction", "order-tools"}
    assert sum(r.requests for r in result.reports) == 60 + 60 + 20
    assert all(r.pairs > 0 for r in result.reports)  # shadow phase mirrored every workload
    assert by_name["extraction"].served_new == 0  # only ticket-triage went to canary
    assert (tmp_path / "demo" / "migration.yaml").exists()
