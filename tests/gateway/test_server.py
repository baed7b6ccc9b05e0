"""``modelswap serve`` runs the nightly eval on its schedule when the migration file enables it."""

from __future__ import annotations

import asyncio
import resource
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from modelswap.cli.app import app as cli_app
from modelswap.config import ConfigError, load_migration, parse_migration
from modelswap.evals.results import outcomes
from modelswap.gateway.http_protocol import Limits
from modelswap.gateway.server import free_port, limits_of, nightly_schedule, raise_file_limit, settle_cut_requests
from modelswap.serving import build_gateway
from modelswap.starter import write_starter
from modelswap.store import open_store
from modelswap.store.summaries import eval_runs


async def _serve_briefly(config: Path) -> set[str]:
    migration = load_migration(config)
    app = build_gateway(migration)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    names = {t.get_name() for t in asyncio.all_tasks()}
    server.should_exit = True
    await task
    assert not any(t.get_name() == "nightly" and not t.done() for t in asyncio.all_tasks())
    return names


async def test_nightly_schedule_starts_and_stops_with_the_gateway(tmp_path: Path) -> None:
    write_starter(tmp_path)
    config = tmp_path / "migration.yaml"
    assert "nightly" not in await _serve_briefly(config)
    config.write_text(config.read_text().replace("  enabled: false", "  enabled: true"))
    assert "nightly" in await _serve_briefly(config)


# -- serving limits and the graceful stop's settings ------------------------------------------------

MINIMAL = """\
store: sqlite:///records.db
endpoints:
  old: {provider: sim, model: gpt-4o}
  new: {provider: sim, model: gpt-5}
workloads:
  - name: chat
gateway:
  default_workload: chat
"""


def test_the_default_grace_outlasts_the_default_upstream_timeout() -> None:
    migration = parse_migration(MINIMAL, "migration.yaml")
    slowest = max(e.timeouts(migration.upstream)[1] for e in migration.endpoints.values())
    assert migration.gateway.shutdown_grace_s > slowest, "a stop must not cut answers that are on their way"


def test_the_limits_come_from_the_gateway_fields() -> None:
    text = MINIMAL + "  header_timeout_s: 2.5\n  body_timeout_s: 7\n  max_connections: 12\n"
    assert limits_of(parse_migration(text, "migration.yaml")) == Limits(2.5, 7.0, 12)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("shutdown_grace_s: -1", "gateway.shutdown_grace_s"),
        ("header_timeout_s: 0", "gateway.header_timeout_s"),
        ("max_connections: 0", "gateway.max_connections"),
        ("keep_alive_s: 1.5", "gateway.keep_alive_s"),
    ],
)
def test_a_bad_limit_names_its_line_and_field(line: str, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_migration(MINIMAL + f"  {line}\n", "migration.yaml")
    assert f"migration.yaml:9: {field}" in str(caught.value)


async def test_the_stop_waits_for_cut_requests_to_finish_then_gives_up() -> None:
    async def records_itself(done: list[str]) -> None:
        await asyncio.sleep(0.1)
        done.append("recorded")

    done: list[str] = []
    tasks: set[asyncio.Task[None]] = set()
    task = asyncio.create_task(records_itself(done))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    await settle_cut_requests(tasks, 2.0)
    assert done == ["recorded"]

    stuck = asyncio.create_task(asyncio.sleep(60))
    tasks.add(stuck)
    begun = asyncio.get_running_loop().time()
    await settle_cut_requests(tasks, 0.2)  # a request that never ends does not hold the stop forever
    assert 0.15 < asyncio.get_running_loop().time() - begun < 2
    stuck.cancel()


def test_serve_makes_room_for_its_connections_under_the_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2400:
        pytest.skip(f"the hard open-file limit ({hard}) leaves no room to raise")
    migration = parse_migration(MINIMAL + "  max_connections: 1000\n", "migration.yaml")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        raise_file_limit(migration)
        raised = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert raised >= 2 * 1000 + migration.gateway.shadow_concurrency


async def test_the_nightly_schedule_of_serve_judges_a_routed_workload_through_its_cascade(tmp_path: Path) -> None:
    assert (
        CliRunner().invoke(cli_app, ["init", str(tmp_path / "m"), "--scenario", "sonnet-to-haiku-routing"]).exit_code
        == 0
    )
    config = tmp_path / "m" / "migration.yaml"
    config.write_text(config.read_text().replace("time_scale: 1.0 ", "time_scale: 0 "))
    migration = load_migration(config)
    clock = [datetime(2030, 1, 1, 1, 59, tzinfo=UTC)]

    async def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    def on_night(*_: object) -> None:
        raise asyncio.CancelledError  # one night is enough

    with open_store(migration.store) as store:
        with pytest.raises(asyncio.CancelledError):
            await nightly_schedule(migration, store, now=lambda: clock[0], sleep=sleep, on_night=on_night)
        (run,) = eval_runs(store, "extraction", nightly=True)
        by_arm = outcomes(store.evals.results(run.id))
    new, old = by_arm["new"], by_arm["old"]
    escalated = [c for c, o in new.items() if o.escalated]
    kept = [c for c, o in new.items() if o.escalated is False]
    assert escalated and kept, "the new arm is the cascade: some cases escalate, some keep the cheap answer"
    for case in escalated:  # strong = old: an escalated case paid the cheap try and the strong answer
        assert (new[case].cost_usd or 0.0) > (old[case].cost_usd or 0.0) > 0.0
    for case in kept:
        assert 0.0 < (new[case].cost_usd or 0.0) < (old[case].cost_usd or 0.0)
