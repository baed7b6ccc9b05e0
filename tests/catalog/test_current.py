"""The current model of a family on a day, and the models a preset uses then."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.catalog import Catalog, ModelInfo, Scenario, lookup, scenario, scenarios
from modelswap.catalog.current import NoCurrentModel, current_model, preset_models
from modelswap.catalog.deprecations import deprecation_warnings

TODAY = date(2026, 12, 2)


def _model(model_id: str, family: str, **lifecycle: object) -> ModelInfo:
    fields: dict[str, object] = {
        "id": model_id,
        "vendor": "openai",
        "family": family,
        "display_name": model_id,
        "price": {"input": 1.0, "output": 2.0},
        "source": "https://example.com/pricing",
        "checked": date(2026, 11, 1),
    }
    if lifecycle:
        fields["lifecycle_source"] = "https://example.com/deprecations"
    return ModelInfo.model_validate(fields | lifecycle)


CATALOG = Catalog(
    [
        _model("m-1", "m", deprecated=date(2026, 1, 1), retires=date(2026, 6, 1)),
        _model("m-2", "m", retires=date(2027, 3, 1)),
        _model("m-3", "m", assumed=True),
        _model("dead-1", "dead", retires=date(2026, 1, 1)),
    ]
)


def test_the_newest_live_model_is_current() -> None:
    assert current_model("m", date(2026, 1, 1), catalog=CATALOG).id == "m-2"


def test_a_model_retiring_within_the_window_is_not_current() -> None:
    # m-2 retires 2027-03-01: 89 days after 2026-12-02, inside a 90-day window, outside a 60-day one.
    with pytest.raises(NoCurrentModel, match="family 'm' on 2026-12-02"):
        current_model("m", TODAY, within_days=90, catalog=CATALOG)
    assert current_model("m", TODAY, within_days=60, catalog=CATALOG).id == "m-2"


def test_a_family_with_no_live_model_or_no_model_is_a_clear_error() -> None:
    with pytest.raises(NoCurrentModel, match="dead-1"):
        current_model("dead", TODAY, catalog=CATALOG)
    with pytest.raises(NoCurrentModel, match="no model family 'nope'"):
        current_model("nope", TODAY, catalog=CATALOG)


def test_packaged_families_before_and_after_a_retirement() -> None:
    # claude-sonnet-4-5 retired on 2026-11-30; Sonnet 5.5 is the newest Sonnet either way.
    assert current_model("claude-sonnet", TODAY).id == "claude-sonnet-5-5"
    assert current_model("claude-haiku", TODAY).id == "claude-haiku-5-5"  # never the assumed claude-haiku-4
    assert current_model("claude-opus", TODAY).id == "claude-opus-4-7"
    # The whole gpt-5 family was deprecated on 2026-06-11 and retires on 2026-12-11.
    assert current_model("gpt-5", date(2026, 6, 10), within_days=90).id.startswith("gpt-5")
    with pytest.raises(NoCurrentModel, match="gpt-5"):
        current_model("gpt-5", date(2026, 6, 11), within_days=0)
    assert current_model("gpt-6", TODAY).id == "gpt-6.1-sol"


def test_gpt5_target_moves_to_its_successor() -> None:
    old, new = preset_models(scenario("gpt-4o-to-gpt-5"), TODAY)
    assert (old.model, new.model) == ("gpt-4o", "gpt-6.1-sol")
    assert "gpt-5 retires on 2026-12-11" in new.reason
    _, before = preset_models(scenario("gpt-4o-to-gpt-5"), date(2026, 5, 1))
    assert before.model == "gpt-5"  # live then: the preset's own target


def test_a_retired_source_is_replaced_by_the_newest_serving_model_of_its_family() -> None:
    old, new = preset_models(scenario("opus-4-1-to-opus-4-7"), TODAY)
    assert (old.model, new.model) == ("claude-opus-4-6", "claude-opus-4-7")  # never from == to
    assert "claude-opus-4-1 was retired on 2026-08-05" in old.reason
    old, new = preset_models(scenario("opus-to-sonnet"), TODAY)
    assert (old.model, new.model) == ("claude-opus-4-7", "claude-sonnet-5-5")


def test_after_gpt5_retires_the_cross_vendor_source_is_its_replacement() -> None:
    old, new = preset_models(scenario("gpt-5-to-sonnet"), date(2026, 12, 11))
    assert (old.model, new.model) == ("gpt-6.1-sol", "claude-sonnet-5-5")
    assert "gpt-5 was retired on 2026-12-11" in old.reason


def test_before_the_retirement_the_preset_source_is_kept() -> None:
    old, _ = preset_models(scenario("gpt-5-to-sonnet"), date(2026, 11, 1))
    assert old.model == "gpt-5"
    old, _ = preset_models(scenario("opus-to-sonnet"), date(2025, 9, 1))
    assert old.model == "claude-opus-4-1"


@pytest.mark.parametrize("preset", scenarios(), ids=lambda s: s.slug)
def test_no_preset_picks_a_retired_assumed_or_retiring_target_today(preset: Scenario) -> None:
    old, new = preset_models(preset, TODAY)
    assert old.model != new.model
    info = lookup(new.model)
    assert info is not None and not info.assumed
    assert deprecation_warnings(new.model, TODAY) == []
    source = lookup(old.model)
    assert source is not None and not source.assumed
    assert source.retires is None or source.retires > TODAY


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 400))
def test_any_day_gives_a_live_model_or_a_clear_error(day: date, window: int) -> None:
    for family in ("m", "dead", "claude-sonnet", "gpt-5", "gpt-6"):
        try:
            info = current_model(family, day, within_days=window, catalog=CATALOG if len(family) < 5 else None)
        except NoCurrentModel as exc:
            assert family in str(exc)
            continue
        assert not info.assumed
        assert info.retires is None or (info.retires - day).days > window
        assert info.deprecated is None or info.deprecated > day
