"""Importing verdicts made elsewhere: good rows in, bad rows named by file:line, fuzzed."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.review.exchange import VerdictImportError, export_rows, parse_verdicts


def test_csv_and_label_studio_style_jsonl() -> None:
    text = 'pair_id,reviewer,verdict,tags,note\n7,ana,old_better,"format,facts",too long\n8,bo,tie,,\n'
    got = parse_verdicts(text, where="v.csv", kind="csv")
    assert [(v.pair_id, v.reviewer, v.judgement, v.tags, v.line) for v in got] == [
        (7, "ana", "old_better", ("format", "facts"), 2),
        (8, "bo", "same", (), 3),
    ]
    nested = json.dumps({"data": {"pair_id": 9}, "reviewer": "cy", "verdict": "new", "tags": ["tone"]})
    (v,) = parse_verdicts(nested + "\n", where="ls.jsonl", kind="jsonl")
    assert (v.pair_id, v.judgement, v.tags) == (9, "new_better", ("tone",))


def test_every_bad_row_is_named_and_nothing_is_kept() -> None:
    text = "pair_id,reviewer,verdict\nx,ana,same\n3,,same\n4,bo,great\n5,bo,same\n"
    with pytest.raises(VerdictImportError) as info:
        parse_verdicts(text, where="v.csv", kind="csv")
    assert info.value.problems == [
        "v.csv:2: pair_id: expected a whole number, got 'x'",
        "v.csv:3: reviewer: missing",
        "v.csv:4: verdict: expected old_better, new_better, same or both_bad, got 'great'",
    ]
    with pytest.raises(VerdictImportError, match=r"^j.jsonl:2: not JSON"):
        parse_verdicts('{"pair_id": 1, "reviewer": "a", "verdict": "same"}\n{oops\n', where="j.jsonl", kind="jsonl")


def test_export_round_trips_through_import() -> None:
    rows = [{"pair_id": 1, "workload": "w", "weight": 2.5, "score": 0.1, "reviewer": "ana",
             "judgement": "both_bad", "verdict": "tie", "tags": ["facts"], "note": "a, \"quoted\"\nnote"}]  # fmt: skip
    for kind in ("csv", "jsonl"):
        text = export_rows(rows, kind).replace("judgement", "verdict_four").replace('"verdict"', '"verdict_wtl"')
        if kind == "csv":
            text = text.replace(",verdict,", ",verdict_wtl,").replace("verdict_four", "verdict")
        else:
            text = text.replace("verdict_four", "verdict")
        (v,) = parse_verdicts(text, where="x", kind=kind)
        assert (v.pair_id, v.judgement, v.tags, v.note) == (1, "both_bad", ("facts",), 'a, "quoted"\nnote')


@given(st.text(max_size=2000))
def test_any_csv_text_imports_or_fails_clearly(text: str) -> None:
    try:
        parse_verdicts(text, where="f.csv", kind="csv")
    except VerdictImportError as exc:
        assert all(p.startswith("f.csv") or p.startswith("…") for p in exc.problems)


@given(
    st.lists(st.one_of(st.text(max_size=200), st.dictionaries(st.text(max_size=10), st.from_type(object))), max_size=20)
)
def test_any_jsonl_imports_or_fails_clearly(rows: list[object]) -> None:
    text = "\n".join(r if isinstance(r, str) else json.dumps(r, default=str) for r in rows)
    try:
        parse_verdicts(text, where="f.jsonl", kind="jsonl")
    except VerdictImportError as exc:
        assert all(p.startswith("f.jsonl:") or p.startswith("…") for p in exc.problems)
