"""``POST /admin/stage`` on a rolled-back workload: refused unless the rollback is ended on purpose, with a reason."""

from __future__ import annotations

import pytest

from modelswap.config import Migration
from modelswap.store import Store

from .conftest import ADMIN_TOKEN, WORKLOAD, Gateway, StartGateway

AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def gw(start_gateway: StartGateway, migration: Migration, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", ADMIN_TOKEN)
    return await start_gateway(migration, wire=False)


async def test_stage_change_over_a_rollback_is_refused_then_audited_when_cleared(gw: Gateway, store: Store) -> None:
    assert (await gw.client.post("/admin/rollback", headers=AUTH, json={"reason": "alarm"})).status_code == 200
    promote = {"workload": WORKLOAD, "stage": "full", "actor": "alice"}
    r = await gw.client.post("/admin/stage", headers=AUTH, json=promote)
    assert r.status_code == 400 and "is rolled back" in r.json()["error"]["message"]
    r = await gw.client.post("/admin/stage", headers=AUTH, json={**promote, "clear_rollback": "yes", "reason": "x"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "clear_rollback"
    r = await gw.client.post("/admin/stage", headers=AUTH, json={**promote, "clear_rollback": True})
    assert r.status_code == 400 and "needs a reason" in r.json()["error"]["message"]
    routing = (await gw.client.get("/admin/routing", headers=AUTH)).json()["workloads"][WORKLOAD]
    assert routing["rollback"] is True, "no refused call changed anything"

    r = await gw.client.post("/admin/stage", headers=AUTH, json={**promote, "clear_rollback": True, "reason": "fixed"})
    assert r.status_code == 200
    routing = (await gw.client.get("/admin/routing", headers=AUTH)).json()["workloads"][WORKLOAD]
    assert (routing["stage"], routing["rollback"]) == ("full", False)
    latest = store.rollout_events(WORKLOAD)[0]
    assert (latest.action, latest.actor, latest.reason) == ("clear_rollback", "alice", "fixed")


async def test_an_undo_without_a_workload_keeps_the_controllers_evidence_rollback(gw: Gateway, store: Store) -> None:
    from modelswap.rollout import flag

    flag.rollback(store, [WORKLOAD], flag.CONTROLLER, "error_rate fired")
    r = await gw.client.post("/admin/rollback/undo", headers=AUTH, json={"reason": "incident over"})
    assert r.status_code == 200 and r.json()["changed"] == []
    routing = (await gw.client.get("/admin/routing", headers=AUTH)).json()["workloads"][WORKLOAD]
    assert routing["rollback"] is True, "a blanket undo never lifts a rollback made on evidence"
    r = await gw.client.post(
        "/admin/rollback/undo", headers=AUTH, json={"workload": WORKLOAD, "reason": "false alarm, reviewed"}
    )
    assert r.status_code == 200 and [c["workload"] for c in r.json()["changed"]] == [WORKLOAD]
