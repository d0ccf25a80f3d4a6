import pytest
from werkzeug.datastructures import MultiDict

from sociale_kaart.directory.forms import SearchForm


@pytest.mark.parametrize(
    "value, expected",
    [
        ("3", 3),
        ("1", 1),
        ("", 1),
        ("abc", 1),
        ("0", 1),
        ("-2", 1),
        ("10001", 1),
        ("2.5", 1),
        ("²", 1),
        ("٣", 1),
        (" 3", 1),
        ("9223372036854775808", 1),
    ],
)
def test_page_number_falls_back_to_the_first_page(value, expected):
    assert SearchForm.page_number(MultiDict({"pagina": value})) == expected


def test_filter_values_reads_repeated_parameters(app):
    with app.test_request_context("/zoeken?category=a&category=b&cost=gratis&unknown=x"):
        from flask import request

        form = SearchForm(request.args)
        assert form.filter_values(request.args) == {"category": ["a", "b"], "cost": ["gratis"]}


@pytest.mark.parametrize(
    "straal, valid, radius",
    [
        ("", True, None),
        ("5", True, 5),
        ("25", True, 25),
        (" ", False, None),
        ("+", False, None),
        ("7", False, None),
        ("²", False, None),
        ("5\x00", False, None),
    ],
)
def test_radius_is_one_of_the_choices(app, straal, valid, radius):
    """'+' in a URL is a space; it was read as a radius and gave a 500 (issue #12)."""
    with app.test_request_context("/zoeken"):
        form = SearchForm(MultiDict({"straal": straal}))
        assert form.validate() is valid
        if valid:
            assert form.radius_km() == radius


def test_a_control_character_in_the_search_text_is_a_form_error(app):
    with app.test_request_context("/zoeken"):
        form = SearchForm(MultiDict({"q": "hulp\x00"}))
        assert not form.validate()
        assert "onzichtbaar teken" in form.q.errors[0]
