"""One meaning for -f/-o across commands, with the old inventory/spend spellings still read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.cli.formats import LOG_FORMATS, OUTPUT_FORMATS, FlagError, ReportFlags, report_flags


def test_new_spellings() -> None:
    assert report_flags(None, None) == ReportFlags("table", None, "auto")
    assert report_flags("json", "r.json", log_format="litellm") == ReportFlags("json", Path("r.json"), "litellm")


@pytest.mark.parametrize("log_format", [f for f in LOG_FORMATS if f != "auto"] + ["auto"])
def test_old_inventory_dash_f_with_a_log_format_still_reads_the_logs_that_way(log_format: str) -> None:
    assert report_flags(log_format, None) == ReportFlags("table", None, log_format)


@pytest.mark.parametrize("value", OUTPUT_FORMATS)
def test_old_dash_o_and_out_with_a_format_are_still_the_format(value: str) -> None:
    assert report_flags(None, value) == ReportFlags(value, None, "auto")
    assert report_flags(None, None, out=value) == ReportFlags(value, None, "auto")


def test_contradictions_and_unknowns_are_refused_with_the_fix() -> None:
    with pytest.raises(FlagError, match="two output formats"):
        report_flags("md", None, out="json")
    with pytest.raises(FlagError, match="add -f md or -f json"):
        report_flags(None, "report.txt")
    with pytest.raises(FlagError, match="must be table, md or json"):
        report_flags("yaml", None)
    # an unknown --log-format passes here: the inventory refuses it against every registered format
    assert report_flags(None, None, log_format="xml").log_format == "xml"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.text(max_size=12), st.sampled_from(OUTPUT_FORMATS + LOG_FORMATS)),
    st.one_of(st.none(), st.text(max_size=12), st.sampled_from(OUTPUT_FORMATS)),
    st.one_of(st.none(), st.text(max_size=12), st.sampled_from(OUTPUT_FORMATS)),
    st.one_of(st.none(), st.text(max_size=12), st.sampled_from(LOG_FORMATS)),
)
def test_any_flags_give_one_valid_reading_or_a_flag_error(
    fmt: str | None, output: str | None, out: str | None, log: str | None
) -> None:
    try:
        flags = report_flags(fmt, output, out, log)
    except FlagError as exc:
        assert str(exc)
        return
    assert flags.format in OUTPUT_FORMATS
    assert flags.log_format in LOG_FORMATS or flags.log_format == log  # unknown ones: the inventory refuses them
    assert flags.output is None or flags.format != "table"
