"""``modelswap review``: sample from a real store, import two reviewers' verdicts, report, gate, export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.store import open_store
from modelswap.store.rows import RequestRow, ShadowPairRow

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def chat(text: str) -> dict[str, object]:
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VENDOR_KEY", "k")
    path = tmp_path / "migration.yaml"
    common = "base_url: http://127.0.0.1:9/v1, api_key_env: VENDOR_KEY"
    path.write_text(
        f"""\
name: review-demo
store: sqlite:///{tmp_path}/modelswap.db
endpoints:
  old: {{provider: openai, model: old-model, {common}}}
  new: {{provider: openai, model: new-model, {common}}}
workloads:
  - name: chat
    match: {{header: {{x-workload: chat}}}}
    gates:
      human_review: {{max_worse_percent: 10, sample_size: 100, floor: 10}}
  - name: triage
    match: {{header: {{x-workload: triage}}}}
""",
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{tmp_path}/modelswap.db")
    reqs, pairs = [], []
    for i in range(400):
        body = None if i % 100 == 0 else chat(f"reply {i % 5}")
        r = RequestRow(
            ts=T0 + timedelta(seconds=i), workload="chat" if i % 4 else "triage", arm="old", endpoint="old",
            model="old-model", status=200, latency_ms=1.0, response_body=body,
        )  # fmt: skip
        reqs.append(r)
        other = chat(f"reply {i % 5}" if i % 3 else "<script>alert(1)</script> a different reply")
        pairs.append(ShadowPairRow(request_id=r.id, ts=r.ts, arm="new", model="new-model", response_body=other))
    store.insert_records(reqs, pairs)
    store.close()
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_sample_import_report_gate_export(config: Path, tmp_path: Path) -> None:
    code, text = run("review", "sample", "-c", str(config), "--by", "ana")
    assert code == 0, text
    assert "review set 1: 100 pairs drawn from 396 reviewable" in text
    assert "4 shadow pairs left out: their bodies were not recorded" in text

    code, exported = run("review", "export", "-c", str(config))
    assert code == 0
    pair_ids = [int(r["pair_id"]) for r in csv.DictReader(io.StringIO(exported))]
    assert len(pair_ids) == 100

    # Two reviewers: ana finds new worse on 2 pairs, bo on 4 (2 conflicts); everything else the same.
    lines = ["pair_id,reviewer,verdict,tags"]
    for k, pid in enumerate(pair_ids):
        lines.append(f"{pid},ana,{'old_better' if k < 2 else 'same'},")
        lines.append(f'{pid},bo,{"old_better" if k < 4 else "same"},"format,facts"')
    verdicts = tmp_path / "verdicts.csv"
    verdicts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, text = run("review", "import", str(verdicts), "-c", str(config))
    assert code == 0, text
    assert "imported 200 verdicts into review set 1" in text

    code, text = run("review", "report", "-c", str(config))
    assert code == 0, text
    assert "100 of 100 pairs reviewed" in text and "ana: 100 pairs" in text
    assert "Cohen's kappa" in text and "conflicts for a third opinion" in text

    code, text = run("review", "gate", "-c", str(config))
    # every workload is judged: chat at its own gate, triage (no human_review gate) at the defaults
    assert "chat:" in text and "triage:" in text
    assert code in (0, 2), text


def test_bad_import_rows_are_named_and_nothing_is_kept(config: Path, tmp_path: Path) -> None:
    assert run("review", "sample", "-c", str(config))[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("pair_id,reviewer,verdict\n1,ana,meh\n99999,ana,same\n", encoding="utf-8")
    code, text = run("review", "import", str(bad), "-c", str(config))
    assert code == 1
    assert f"{bad}:2: verdict: expected old_better, new_better, same or both_bad, got 'meh'" in text
    fine = tmp_path / "fine.csv"
    fine.write_text("pair_id,reviewer,verdict\n99999,ana,same\n", encoding="utf-8")
    code, text = run("review", "import", str(fine), "-c", str(config))
    assert code == 1 and "pair ids not in review set 1: 99999" in text


def test_gate_without_a_review_set_says_what_to_do(config: Path) -> None:
    code, text = run("review", "gate", "-c", str(config))
    assert code == 1 and "modelswap review sample" in text
