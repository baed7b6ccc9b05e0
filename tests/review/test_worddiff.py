"""The word diff rebuilds both answers exactly, whatever they hold."""

from hypothesis import given
from hypothesis import strategies as st

from modelswap.review.worddiff import Run, word_diff


def test_changed_word_is_marked() -> None:
    assert word_diff("the cat sat", "the dog sat") == [
        Run("same", "the "),
        Run("old", "cat"),
        Run("new", "dog"),
        Run("same", " sat"),
    ]


@given(st.text(max_size=400), st.text(max_size=400))
def test_runs_rebuild_both_sides(old: str, new: str) -> None:
    runs = word_diff(old, new)
    assert "".join(r.text for r in runs if r.kind != "new") == old
    assert "".join(r.text for r in runs if r.kind != "old") == new
