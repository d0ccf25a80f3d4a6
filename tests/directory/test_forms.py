import pytest
from werkzeug.datastructures import MultiDict

from sociale_kaart.directory.forms import SearchForm


@pytest.mark.parametrize("value, expected", [
    ("3", 3), ("1", 1), ("", 1), ("abc", 1), ("0", 1), ("-2", 1), ("10001", 1), ("2.5", 1),
])
def test_page_number_falls_back_to_the_first_page(value, expected):
    assert SearchForm.page_number(MultiDict({"pagina": value})) == expected


def test_filter_values_reads_repeated_parameters(app):
    with app.test_request_context("/zoeken?category=a&category=b&cost=gratis&unknown=x"):
        from flask import request
        form = SearchForm(request.args)
        assert form.filter_values(request.args) == {"category": ["a", "b"], "cost": ["gratis"]}
