"""Report renderers: Markdown for people, JSON for machines, JUnit XML for CI."""

import json
import xml.etree.ElementTree as ET

from modelswap.gates import GateResult, Verdict, render_junit, render_markdown, to_json

RESULTS = [
    GateResult(
        gate="pass_rate",
        metric="pass-rate difference new − old (points)",
        verdict=Verdict.INCONCLUSIVE,
        estimate=-2.0,
        interval=(-4.9, 0.9),
        margin=2.0,
        confidence=0.95,
        n=500,
        reason="new pass rate 88.0 % vs old 90.0 %: difference −2.0 points [−4.9, +0.9] at 95 %; it straddles −2.",
        more_cases_needed=1234,
        method="Tango score interval",
        details={"only_old_passes": 40, "mcnemar_exact_p": 0.04},
    ),
    GateResult(
        gate="p95_latency",
        metric="p95 latency ratio new / old",
        verdict=Verdict.FAIL,
        estimate=1.4,
        interval=(1.3, 1.5),
        margin=1.2,
        confidence=0.95,
        n=3000,
        reason='ratio 1.40 [1.30, 1.50] <above> 1.2 | "too slow" & more',
    ),
    GateResult(
        gate="cost_per_request",
        metric="mean cost ratio new / old",
        verdict=Verdict.PASS,
        estimate=0.7,
        interval=(0.65, 0.75),
        margin=1.0,
        confidence=0.95,
        n=3000,
        reason="cheaper",
    ),
]


def test_markdown_table() -> None:
    md = render_markdown(RESULTS, title="support-chat gates")
    assert md.startswith("## support-chat gates: FAIL\n")
    assert "| pass_rate | ⚠️ INCONCLUSIVE | −2.0 pts | [−4.9, +0.9] | > −2 pts | 95 % | 500 | 1,234 |" in md
    assert "| p95_latency | ❌ FAIL | ×1.40 | [1.30, 1.50] | ≤ ×1.2 |" in md
    assert '\\| "too slow"' in md  # pipes in reasons cannot break the table
    assert "No gates were evaluated" in render_markdown([])


def test_json_is_strict_json() -> None:
    doc = to_json(RESULTS)
    text = json.dumps(doc, allow_nan=False)
    back = json.loads(text)
    assert back["overall"] == "FAIL"
    assert back["gates"][0]["interval"] == [-4.9, 0.9]
    assert back["gates"][0]["more_cases_needed"] == 1234
    assert back["gates"][0]["details"]["only_old_passes"] == 40


def test_junit_xml_fails_an_inconclusive_gate() -> None:
    # "Not enough evidence" must not turn CI green: INCONCLUSIVE is a failure of its own type.
    root = ET.fromstring(render_junit(RESULTS))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "2", "0")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["p95_latency"].find("failure")
    assert failure is not None and failure.get("message") == RESULTS[1].reason  # escaped and round-tripped
    assert failure.get("type") == "GateFailed"
    inconclusive = cases["pass_rate"].find("failure")
    assert inconclusive is not None and inconclusive.get("type") == "inconclusive"
    assert "straddles" in (inconclusive.get("message") or "") and cases["pass_rate"].find("skipped") is None
    assert cases["cost_per_request"].find("failure") is None and cases["cost_per_request"].find("skipped") is None


def test_junit_xml_can_allow_inconclusive() -> None:
    root = ET.fromstring(render_junit(RESULTS, allow_inconclusive=True))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    skipped = cases["pass_rate"].find("skipped")
    assert skipped is not None and cases["pass_rate"].find("failure") is None


def test_one_number_style_in_every_report() -> None:
    # Zero prints as "0.0" (never "+0.0" in one place and "0.0" in another), minus signs are
    # always U+2212, and a zero-width interval reads the same in the table and the reason.
    zero = GateResult("pass_rate", "pass-rate difference new − old (points)", Verdict.PASS, -0.0, (-0.4, 0.4),
                      2.0, 0.95, 970, "…")  # fmt: skip
    md = render_markdown([zero])
    assert "| 0.0 pts | [−0.4, +0.4] |" in md and "+0.0" not in md and "-0.4" not in md
