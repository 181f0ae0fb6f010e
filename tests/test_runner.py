"""Step selection (--steps): which steps a run shows."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnncalc.errors import InputError
from rnncalc.runner import Selection


def by_definition(ranges, t):
    """t is selected when some range first..last (last None: open) holds it."""
    return any(first <= t and (last is None or t <= last) for first, last in ranges)


part = st.one_of(
    st.integers(1, 60).map(str),
    st.tuples(st.integers(1, 60), st.integers(0, 9)).map(lambda p: f"{p[0]}:{p[0] + p[1]}"),
    st.integers(1, 60).map(lambda a: f"{a}:"),
    st.integers(1, 60).map(lambda b: f":{b}"),
)


@given(st.lists(part, min_size=1, max_size=12), st.lists(st.integers(1, 80), max_size=80))
def test_membership_is_the_definition_in_any_order_of_asking(parts, asked):
    selection = Selection.parse(",".join(parts))
    for t in [*range(1, 81), *asked]:  # a run's order first, then jumps back and forth
        assert (t in selection) == by_definition(selection.ranges, t), (parts, t)


def test_overlapping_and_touching_ranges_merge():
    selection = Selection.parse("7,3:5,4:6,10:,1")
    assert [t for t in range(1, 13) if t in selection] == [1, 3, 4, 5, 6, 7, 10, 11, 12]


def test_a_bad_part_is_quoted_alone():
    long = ",".join(["1"] * 5000 + ["x"])
    with pytest.raises(InputError) as error:
        Selection.parse(long)
    assert str(error.value).endswith("found 'x'")
