"""sociale_kaart.params: ids, page numbers and small whole numbers from outside input; control characters (#12)."""
import pytest

from sociale_kaart import params


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("42", 42), ("2147483647", 2147483647), (7, 7),
    ("0", None), ("-1", None), ("2147483648", None), ("9223372036854775808", None),
    ("²", None), ("٣", None), ("³3", None), (" 3", None), ("3 ", None), ("3\n", None), ("+3", None),
    ("1_000", None), ("007", None), ("1.0", None), ("abc", None), ("", None), (None, None), (True, None),
    ("9" * 5000, None),
])
def test_parse_id_takes_ascii_digits_in_the_integer_range_only(text, expected):
    assert params.parse_id(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("3", 3), ("10000", 10000), ("", 1), ("0", 1), ("10001", 1), ("-2", 1), ("²", 1), ("٣", 1), ("2.5", 1),
    (None, 1),
])
def test_parse_page_falls_back_to_the_first_page(text, expected):
    assert params.parse_page(text) == expected


@pytest.mark.parametrize("text, low, high, expected", [
    ("0", 0, 120, 0), ("120", 0, 120, 120), ("121", 0, 120, None), ("-1", -5, 5, -1), ("-0", 0, 1, 0),
    ("", 0, 120, None), ("٣", 0, 120, None),
])
def test_parse_int_checks_the_range(text, low, high, expected):
    assert params.parse_int(text, low, high) == expected


def test_parse_ids_keeps_the_ids_in_order():
    assert params.parse_ids(["3", "²", "1", "0", "2147483648", 5]) == [3, 1, 5]


@pytest.mark.parametrize("text, multiline, expected", [
    ("Gewone tekst, met é en ✓ en\u2028", False, False),
    ("a\x00b", False, True), ("a\x00b", True, True),
    ("a\tb", False, True), ("a\tb", True, False),
    ("regel\r\nregel\n", False, True), ("regel\r\nregel\n", True, False),
    ("a\x1bb", True, True), ("a\x7fb", True, True), ("a\x85b", True, True), ("a\x9fb", False, True),
    (None, False, False),
])
def test_control_characters_are_found(text, multiline, expected):
    assert params.has_control_characters(text, multiline) is expected


def test_control_characters_are_removed():
    assert params.without_control_characters("zorg\x00 voor\x85 elkaar\t") == "zorg voor elkaar"
    assert params.without_control_characters("zorg\x00\r\nvoor\telkaar", multiline=True) == "zorg\r\nvoor\telkaar"


@pytest.mark.parametrize("path, matched", [
    ("/aanbod/1", ("directory.service_detail", {"service_id": 1})),
    ("/aanbod/2147483647", ("directory.service_detail", {"service_id": 2147483647})),
    ("/aanbod/0", None), ("/aanbod/2147483648", None), ("/aanbod/9223372036854775808", None),
    ("/aanbod/²", None), ("/aanbod/٣", None), ("/aanbod/01", None), ("/aanbod/-1", None), ("/aanbod/+1", None),
    ("/organisatie/zorg-en-welzijn", ("directory.organization_detail", {"slug": "zorg-en-welzijn"})),
    ("/organisatie/a\x00b", None), ("/organisatie/a\x1fb", None), ("/organisatie/a\x85b", None),
])
def test_route_variables_refuse_odd_values(app, path, matched):
    """An id that is no database id, or a segment with a control character, matches no route (a 404)."""
    from werkzeug.exceptions import NotFound

    adapter = app.url_map.bind("localhost")
    if matched is None:
        with pytest.raises(NotFound):
            adapter.match(path)
    else:
        assert adapter.match(path) == matched


def test_an_odd_id_in_a_url_is_a_404(client):
    assert client.get("/aanbod/9223372036854775808").status_code == 404


def test_an_id_in_a_url_reaches_the_view(client):
    from tests.builders import make_service

    service = make_service()
    assert client.get(f"/aanbod/{service.id}").status_code == 200


def test_urls_are_built_with_the_converters(app):
    from flask import url_for

    with app.test_request_context():
        assert url_for("directory.service_detail", service_id=12) == "/aanbod/12"
        assert url_for("directory.organization_detail", slug="zorg-en-welzijn") == "/organisatie/zorg-en-welzijn"
