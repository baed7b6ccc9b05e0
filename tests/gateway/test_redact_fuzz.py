"""Property tests of the redactor: any text, any JSON; planted secrets never come out."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.gateway.redact import _secrets, find_spans, keep, scrub
from modelswap.gateway.redact._views import Views

from .test_redact_corpus import PEM, PERSONAL, SECRETS

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALNUM = string.ascii_letters + string.digits

# text made of the characters the detectors care about, so the fuzzer reaches their edge cases
PIECES = [*"aZ09 .-_@+/=:()\n\"'\\#[]sSkKAIeyJ\x00é", "sk-", "eyJ", "-----BEGIN ", "password=", "Bearer "]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=300), TRICKY)


def _luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        digits = [int(c) for c in prefix + last]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return prefix + last
    raise AssertionError("unreachable")


GENERATED_SECRETS = st.one_of(
    st.builds(lambda s: "sk-proj-" + s, st.text(alphabet=ALNUM, min_size=20, max_size=60)),
    st.builds(lambda s: "sk_live_" + s, st.text(alphabet=ALNUM, min_size=12, max_size=40)),
    st.builds(lambda s: "AKIA" + s, st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16)),
    st.builds(lambda s: "ghp_" + s, st.text(alphabet=ALNUM, min_size=36, max_size=40)),
    st.sampled_from([*SECRETS, PEM]),
)
GENERATED_PERSONAL = st.one_of(
    st.builds(
        lambda user, host: f"{user}@{host}.com",
        st.text(alphabet=ALNUM + "._+", min_size=1, max_size=30).filter(lambda u: u[0] not in "._+"),
        st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=20),
    ),
    st.builds(lambda p: _luhn_complete("4" + p), st.text(alphabet=string.digits, min_size=14, max_size=14)),
    st.sampled_from([value for value, _ in PERSONAL]),
)
FILLER = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


@FUZZ
@given(ANY_TEXT, st.booleans())
def test_any_text_is_redacted_without_error_and_redacting_twice_changes_nothing(text: str, pii: bool) -> None:
    once = scrub(text, pii)
    assert isinstance(once, str)
    assert scrub(once, pii) == once


@FUZZ
@given(st.lists(st.tuples(FILLER, st.one_of(GENERATED_SECRETS, GENERATED_PERSONAL)), min_size=1, max_size=6))
def test_planted_secrets_and_personal_data_never_come_out(parts: list[tuple[str, str]]) -> None:
    text = "".join(f"{filler} ; {planted} ; " for filler, planted in parts)
    out = scrub(text, pii=True)
    for _, planted in parts:
        assert planted not in out
    assert scrub(out, pii=True) == out


@FUZZ
@given(st.lists(st.tuples(FILLER, st.one_of(GENERATED_SECRETS, GENERATED_PERSONAL)), min_size=1, max_size=12))
def test_windows_find_what_one_pass_finds(parts: list[tuple[str, str]]) -> None:
    text = "".join(f"{filler} ; {planted} ; " for filler, planted in parts)
    assert find_spans(text, True, window=64, overhang=400) == find_spans(text, True)


@FUZZ
@given(st.one_of(TRICKY, st.lists(st.tuples(FILLER, GENERATED_SECRETS), max_size=8).map(str)))
def test_trying_each_candidate_finds_what_searching_the_whole_text_finds(text: str) -> None:
    # sparse candidates are tried one by one, dense ones searched with finditer: the same secrets either way
    views = Views(text)
    hits = _secrets._ANCHORS.find_matches_as_indexes(views.lower, overlapping=True)
    tried = sorted(_secrets._anchored(views, hits))
    searched = sorted(_secrets._searched(views, _secrets._present(views)))
    assert tried == searched


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | ANY_TEXT | GENERATED_SECRETS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(JSON, st.sampled_from(["full", "redacted"]))
def test_any_json_keeps_its_shape_and_loses_its_secrets(body: object, policy: str) -> None:
    out = keep(body, policy)  # type: ignore[arg-type]
    assert type(out) is type(body)
    assert keep(out, policy) == out  # type: ignore[arg-type]
