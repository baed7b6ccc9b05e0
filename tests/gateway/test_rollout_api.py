"""The rollout's HTTP faces: user feedback in (behind the app keys), the verdict out for Argo Rollouts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.gateway.errors import ClientError
from modelswap.gateway.rollout_api import parse_feedback
from modelswap.gateway.server import assemble_gateway
from modelswap.rollout import flag
from modelswap.sim import RunningSim
from modelswap.store import Store

from .conftest import NEW, OLD, WORKLOAD, StartGateway, migration_of, openai_endpoint
from .test_route_table import _migration, call

DOC = Path(__file__).parents[2] / "docs" / "rollout.md"
METRICS_TOKEN = "mt-0123456789abcdef0123456789"


def analysis_template() -> dict[str, Any]:
    """The AnalysisTemplate of docs/rollout.md, parsed."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    (text,) = [b for b in blocks if "kind: AnalysisTemplate" in b]
    doc = yaml.safe_load(text)
    assert doc["apiVersion"] == "argoproj.io/v1alpha1"
    return doc  # type: ignore[no-any-return]


def fill(text: str, args: dict[str, str]) -> str:
    """Argo's ``{{args.NAME}}`` substitution."""
    return re.sub(r"\{\{args\.([\w-]+)\}\}", lambda m: args[m.group(1)], text)


def json_path(data: Any, expr: str) -> Any:
    """The subset of Kubernetes JSONPath Argo's web provider templates use: ``{$.a.b[0].c}``."""
    assert expr.startswith("{$") and expr.endswith("}")
    for name, index in re.findall(r"\.([\w-]+)|\[(\d+)\]", expr[2:-1]):
        data = data[name] if name else data[int(index)]
    return data


def condition(expr: str, result: Any) -> bool:
    """Argo's expr conditions of the form ``result == "x" || result == "y"``."""
    return any(result == value for value in re.findall(r'result == "([^"]*)"', expr))


async def test_argo_polls_the_verdict_with_the_template_from_the_docs(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MS_METRICS", METRICS_TOKEN)
    m = migration_of(
        tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"metrics_token_env": "MS_METRICS"}
    )
    gw = await start_gateway(m)  # a real socket: Argo is another process
    template = analysis_template()
    (metric,) = template["spec"]["metrics"]
    web = metric["provider"]["web"]
    args = {"workload": WORKLOAD, "modelswap-url": gw.base_url, "metrics-token": METRICS_TOKEN}

    async def poll() -> Any:
        headers = {h["key"]: fill(h["value"], args) for h in web["headers"]}
        r = await gw.client.get(fill(web["url"], args), headers=headers)
        assert r.status_code == 200, r.text
        return json_path(r.json(), web["jsonPath"])

    assert await poll() == "waiting"  # shadow: nothing to judge yet
    assert condition(metric["successCondition"], "waiting")
    flag.set_stage(gw.store, WORKLOAD, "split", 1, "test", "canary")
    assert await poll() == "healthy"
    flag.rollback(gw.store, [WORKLOAD], "test", "drill")
    result = await poll()
    assert result == "rolled_back" and condition(metric["failureCondition"], result)
    assert not condition(metric["successCondition"], result)

    r = await gw.client.get(f"/modelswap/rollout/{WORKLOAD}")
    assert r.status_code == 401, "the figures are behind the metrics token"
    r = await gw.client.get("/modelswap/rollout/nope", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 404 and WORKLOAD in r.json()["error"]["message"]


async def test_feedback_from_an_sdk_client_reaches_the_analysis(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    m = migration_of(tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW))
    gw = await start_gateway(m)
    flag.set_stage(gw.store, WORKLOAD, "split", 50, "test", "canary")
    gw.app.routes.refresh()
    client = openai.AsyncOpenAI(base_url=gw.openai_url, api_key="unused")
    ids = {}
    for i in range(12):
        raw = await client.chat.completions.with_raw_response.create(
            model=OLD, messages=[{"role": "user", "content": f"question {i}"}], user=f"user-{i}"
        )
        ids[raw.headers["x-request-id"]] = raw.headers["x-modelswap-arm"]
    await gw.settle(12)
    for request_id, arm in ids.items():
        r = await gw.client.post(
            "/v1/modelswap/feedback", json={"request_id": request_id, "score": 0 if arm == "new" else 1}
        )
        assert r.status_code == 200 and r.json()["recorded"] is True
    status = gw.app.rollout_api.controller.status(WORKLOAD)
    analysis = status["analysis"]
    assert isinstance(analysis, dict)
    served_new = sum(1 for a in ids.values() if a == "new")
    assert analysis["canary"]["requests"] == served_new and analysis["control"]["requests"] == 12 - served_new
    assert analysis["canary"]["feedback_negative_rate"] in (1.0, None)
    assert analysis["control"]["feedback_negative_rate"] in (0.0, None)


async def test_bad_feedback_gets_an_openai_error_naming_the_field(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    gw = await start_gateway(migration_of(tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW)), wire=False)
    r = await gw.client.post("/v1/modelswap/feedback", json={"request_id": "x", "score": 7})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "score" and "0 (bad) to 1 (good)" in r.json()["error"]["message"]
    r = await gw.client.post("/v1/modelswap/feedback", content=b"{" * 10_000)
    assert r.status_code == 413


@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda d: __import__("json").dumps(d).encode(),
            st.dictionaries(
                st.sampled_from(["request_id", "score", "x"]),
                st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text()),
            ),
        ),
    )
)
def test_any_feedback_body_is_accepted_or_refused_clearly(raw: bytes) -> None:
    try:
        request_id, score = parse_feedback(raw)
    except ClientError as exc:
        assert exc.status == 400 and exc.message
    else:
        assert request_id and 0 <= score <= 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
async def test_any_workload_path_gets_the_verdict_or_a_404_never_a_5xx(tmp_path: Path, store: Store, name: str) -> None:
    app = assemble_gateway(_migration(tmp_path), store=store)
    status, body = await call(app, "GET", f"/modelswap/rollout/{name}")
    assert status in (200, 404), (status, body)
    data = orjson.loads(body)
    assert data["verdict"] == "waiting" if status == 200 else "no workload" in data["error"]["message"]
