"""Small-number suppression (issue #15): one rule for every figure about people, on the page and in the CSV files."""

import pytest

from sociale_kaart.insights import suppression
from sociale_kaart.insights.suppression import Figure


@pytest.mark.parametrize(
    "number, mark, value",
    [
        (0, "", 0),
        (1, "<5", None),
        (2, "<5", None),
        (4, "<5", None),
        (5, "", 5),
        (123, "", 123),
    ],
)
def test_a_count_of_one_to_four_people_is_shown_as_less_than_five(number, mark, value):
    figure = suppression.count(number)
    assert (figure.mark, figure.value) == (mark, value)


def test_a_hidden_figure_keeps_no_value_at_all():
    assert suppression.count(3) == Figure(None, "count", suppression.SMALL)


def test_public_listings_are_never_hidden():
    assert suppression.public(2) == Figure(2, "public")


@pytest.mark.parametrize(
    "part, base, expected",
    [
        (6, 8, 0.75),  # shown
        (0, 7, 0.0),  # nobody: shown
        (8, 8, 1.0),
        (3, 10, None),  # the part is 1 to 4 people
        (2, 4, None),  # fewer than 5 people in all
        (0, 0, None),  # nothing to divide: no figure
    ],
)
def test_a_share_is_hidden_over_fewer_than_five_people_or_with_a_small_part(part, base, expected):
    figure = suppression.share(part, base)
    assert figure.value == expected
    assert figure.hidden == ("" if expected is not None or base == 0 else suppression.FEW)


def test_a_share_of_two_shown_counts_is_hidden_when_either_is():
    assert suppression.share_of(Figure(None, "count", suppression.SMALL), Figure(20)).mark == "×"
    assert suppression.share_of(Figure(10), Figure(None, "count", suppression.DISCLOSING)).mark == "×"
    assert suppression.share_of(Figure(10), Figure(40)).value == 0.25


def test_a_median_needs_five_people():
    assert suppression.median([1, 2, 3, 4]).mark == "×"
    assert suppression.median([1, 2, 3, 4, 10]).value == 3
    assert suppression.median([]) == Figure(None, "median")


def test_hours_and_rates_follow_the_count_of_people_they_are_about():
    assert suppression.amount(34.0, suppression.count(2)).mark == "×"
    assert suppression.amount(80.0, suppression.count(5)).value == 80.0
    assert suppression.rate(suppression.count(3), 4000).mark == "×"
    assert suppression.rate(suppression.count(12), 4000).value == 3.0
    assert suppression.rate(suppression.count(12), None) == Figure(None, "rate")


def test_one_hidden_number_in_a_row_with_a_total_hides_the_next_smallest_too():
    values = {"a": 3, "b": 9, "c": 7, "total": 19}
    figures = suppression.protect(values, [(["a", "b", "c"], "total")])
    assert [figures[key].mark for key in ("a", "b", "c", "total")] == ["<5", "", "×", ""]
    assert figures["b"].value == 9 and figures["total"].value == 19


def test_a_hidden_total_hides_one_of_its_parts():
    figures = suppression.protect({"a": 8, "b": 6, "total": 14}, [(["a", "b"], "total")], hidden=["total"])
    assert (figures["a"].value, figures["b"].mark, figures["total"].mark) == (8, "×", "×")


def test_zeros_are_no_cover_for_a_hidden_number():
    figures = suppression.protect({"a": 2, "b": 0, "total": 2}, [(["a", "b"], "total")])
    assert (figures["a"].mark, figures["b"].value, figures["total"].mark) == ("<5", 0, "<5")


def test_suppression_runs_until_no_row_or_column_gives_a_number_away():
    #        x    y  | total
    # r1     2    6  |   8
    # r2     7    9  |  16
    # all    9   15  |  24
    values = {("r1", "x"): 2, ("r1", "y"): 6, ("r2", "x"): 7, ("r2", "y"): 9}
    values.update({("r1", "t"): 8, ("r2", "t"): 16, ("all", "x"): 9, ("all", "y"): 15, ("all", "t"): 24})
    lines = [
        ([("r1", "x"), ("r1", "y")], ("r1", "t")),
        ([("r2", "x"), ("r2", "y")], ("r2", "t")),
        ([("all", "x"), ("all", "y")], ("all", "t")),
        ([("r1", "x"), ("r2", "x")], ("all", "x")),
        ([("r1", "y"), ("r2", "y")], ("all", "y")),
        ([("r1", "t"), ("r2", "t")], ("all", "t")),
    ]
    figures = suppression.protect(values, lines)
    hidden = {key for key, figure in figures.items() if figure.hidden}
    assert hidden == {("r1", "x"), ("r1", "y"), ("r2", "x"), ("r2", "y")}
    for members, total in lines:  # no line has exactly one hidden number left
        assert sum(key in hidden for key in [*members, total]) != 1
