"""Page-wide helpers and error pages."""
import pytest

from sociale_kaart.web import pages


@pytest.mark.parametrize("km, language, expected", [
    (0.42, "nl", "420 m"), (2.14, "nl", "2,1 km"), (2.14, "en", "2.1 km"), (12.6, "nl", "13 km"), (None, "nl", ""),
])
def test_format_km(app, km, language, expected):
    with app.test_request_context():
        from flask import session
        session["lang"] = language
        assert pages.format_km(km) == expected


@pytest.mark.parametrize("number, href", [
    ("0343 000 101", "tel:+31343000101"), ("+31 6 0000 0000", "tel:+31600000000"), ("112", "tel:112"),
])
def test_phone_href_makes_international_numbers(number, href):
    assert str(pages.phone_href(number)) == href


def test_server_error_gets_a_dutch_page(app):
    app.testing = False  # let the error handler answer instead of re-raising

    @app.route("/kapot")
    def broken():
        raise RuntimeError("boom")

    response = app.test_client().get("/kapot")
    assert response.status_code == 500
    assert "Er ging iets mis bij ons" in response.get_data(as_text=True)


def test_stylesheets_have_balanced_blocks():
    """A lost brace (say, in a merge) silently drops every rule after it."""
    from pathlib import Path

    for name in ("main.css", "print.css"):
        text = (Path(__file__).resolve().parents[2] / "static" / "css" / name).read_text()
        depth = 0
        for number, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            assert depth >= 0, f"{name}:{number} closes a block that is not open"
        assert depth == 0, f"{name} leaves {depth} block(s) open"
