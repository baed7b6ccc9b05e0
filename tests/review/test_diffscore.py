"""The diff score that steers sampling towards pairs that differ."""

from hypothesis import given
from hypothesis import strategies as st

from modelswap.review.diffscore import diff_score, edit_distance, json_differs, normalised_edit_distance


def test_edit_distance_known_values() -> None:
    assert edit_distance("kitten", "sitting") == 3  # the textbook example, on characters
    assert normalised_edit_distance("the cat sat", "the cat sat") == 0.0
    assert normalised_edit_distance("the cat sat", "the dog sat down") == 0.5


def test_structural_differences_score_one() -> None:
    assert diff_score('{"a": 1}', '{ "a" : 1 }') == 0.0
    assert diff_score('{"a": 1}', '{"a": 2}') == 1.0
    assert json_differs("plain", '{"a": 1}')
    call = {"type": "function", "function": {"name": "lookup", "arguments": '{"id": 7}'}}
    same = {"type": "function", "function": {"name": "lookup", "arguments": '{ "id": 7 }'}}
    other = {"type": "function", "function": {"name": "lookup", "arguments": '{"id": 8}'}}
    assert diff_score("", "", [call], [same]) == 0.0
    assert diff_score("", "", [call], [other]) == 1.0
    assert diff_score("", "", [call], None) == 1.0


@given(st.text(max_size=300), st.text(max_size=300), st.lists(st.from_type(object), max_size=3))
def test_score_is_bounded_for_any_input(old: str, new: str, calls: list[object]) -> None:
    s = diff_score(old, new, calls, calls)
    assert 0.0 <= s <= 1.0
    assert diff_score(old, old) == 0.0
