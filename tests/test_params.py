"""sociale_kaart.params: ids, page numbers and small whole numbers from outside input; control characters (#12)."""

import pytest

from sociale_kaart import params


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1", 1),
        ("42", 42),
        ("2147483647", 2147483647),
        (7, 7),
        ("0", None),
        ("-1", None),
        ("2147483648", None),
        ("9223372036854775808", None),
        ("²", None),
        ("٣", None),
        ("³3", None),
        (" 3", None),
        ("3 ", None),
        ("3\n", None),
        ("+3", None),
        ("1_000", None),
        ("007", None),
        ("1.0", None),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
        ("9" * 5000, None),
    ],
)
def test_parse_id_takes_ascii_digits_in_the_integer_range_only(text, expected):
    assert params.parse_id(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3", 3),
        ("10000", 10000),
        ("", 1),
        ("0", 1),
        ("10001", 1),
        ("-2", 1),
        ("²", 1),
        ("٣", 1),
        ("2.5", 1),
        (None, 1),
    ],
)
def test_parse_page_falls_back_to_the_first_page(text, expected):
    assert params.parse_page(text) == expected


@pytest.mark.parametrize(
    "text, low, high, expected",
    [
        ("0", 0, 120, 0),
        ("120", 0, 120, 120),
        ("121", 0, 120, None),
        ("-1", -5, 5, -1),
        ("-0", 0, 1, 0),
        ("", 0, 120, None),
        ("٣", 0, 120, None),
    ],
)
def test_parse_int_checks_the_range(text, low, high, expected):
    assert params.parse_int(text, low, high) == expected


def test_parse_ids_keeps_the_ids_in_order():
    assert params.parse_ids(["3", "²", "1", "0", "2147483648", 5]) == [3, 1, 5]


@pytest.mark.parametrize(
    "text, multiline, expected",
    [
        ("Gewone tekst, met é en ✓ en\u2028", False, False),
        ("a\x00b", False, True),
        ("a\x00b", True, True),
        ("a\tb", False, True),
        ("a\tb", True, False),
        ("regel\r\nregel\n", False, True),
        ("regel\r\nregel\n", True, False),
        ("a\x1bb", True, True),
        ("a\x7fb", True, True),
        ("a\x85b", True, True),
        ("a\x9fb", False, True),
        (None, False, False),
    ],
)
def test_control_characters_are_found(text, multiline, expected):
    assert params.has_control_characters(text, multiline) is expected


def test_control_characters_are_removed():
    assert params.without_control_characters("zorg\x00 voor\x85 elkaar\t") == "zorg voor elkaar"
    assert params.without_control_characters("zorg\x00\r\nvoor\telkaar", multiline=True) == "zorg\r\nvoor\telkaar"


@pytest.mark.parametrize(
    "path, matched",
    [
        ("/aanbod/1", ("directory.service_detail", {"service_id": 1})),
        ("/aanbod/2147483647", ("directory.service_detail", {"service_id": 2147483647})),
        ("/aanbod/0", None),
        ("/aanbod/2147483648", None),
        ("/aanbod/9223372036854775808", None),
        ("/aanbod/²", None),
        ("/aanbod/٣", None),
        ("/aanbod/01", None),
        ("/aanbod/-1", None),
        ("/aanbod/+1", None),
        ("/organisatie/zorg-en-welzijn", ("directory.organization_detail", {"slug": "zorg-en-welzijn"})),
        ("/organisatie/a\x00b", None),
        ("/organisatie/a\x1fb", None),
        ("/organisatie/a\x85b", None),
    ],
)
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


# --- e-mail and phone: one rule each (issue #13) ------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("naam@voorbeeld.nl", "naam@voorbeeld.nl"),
        ("  Naam@Voorbeeld.NL ", "Naam@voorbeeld.nl"),  # the domain in lower case, the rest as typed
        ("a.b+c@sub.example.org", "a.b+c@sub.example.org"),
        ("jan@münchen.de", "jan@münchen.de"),  # an international domain is an address
        ("x" * 64 + "@" + "d" * 60 + ".nl", "x" * 64 + "@" + "d" * 60 + ".nl"),
        ("", None),
        ("   ", None),
        (None, None),
        (42, None),
        ("naam", None),
        ("naam@", None),
        ("@voorbeeld.nl", None),
        ("naam@voorbeeld", None),
        ("na am@voorbeeld.nl", None),
        ("naam@@voorbeeld.nl", None),
        ("naam@voorbeeld..nl", None),
        ("naam@voorbeeld.nl\x00", None),
        ("naam\x1f@voorbeeld.nl", None),
        ("naam@voor\u0085beeld.nl", None),
        ("naam@voorbeeld.nl\nBcc: x@y.nl", None),
        ("x" * 64 + "@" + "d" * 190 + ".nl", None),  # more than 254 characters
    ],
)
def test_parse_email(text, expected):
    assert params.parse_email(text) == expected
    assert params.valid_email(text) is (expected is not None)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0343 123 456", "0343123456"),
        ("0343-123456", "0343123456"),
        ("(0343) 12 34 56", "0343123456"),
        ("06 12345678", "0612345678"),
        ("06-123 45678", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("0343\u00a0123\u00a0456", "0343123456"),
        ("+31 343 123 456", "0343123456"),
        ("+31 6 12345678", "0612345678"),
        ("+31612345678", "0612345678"),
        ("+31 (0)6 1234 5678", "0612345678"),
        ("0031 343 123 456", "0343123456"),
        ("0800-1234", "08001234"),
        ("0800 123 4567", "08001234567"),
        ("0900-1234", "09001234"),
        ("0906 1234", "09061234"),
        ("0909 123 4567", "09091234567"),
        ("+31 800 1234", "08001234"),
        ("14 030", "14030"),
        ("14 0343", "140343"),
        ("140343", "140343"),
    ],
)
def test_parse_phone_takes_dutch_numbers(text, expected):
    assert params.parse_phone(text) == expected
    assert params.valid_phone(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        343123456,
        "12345",
        "112",
        "0343 12345",
        "0343 1234567",
        "343 123 456",
        "0012345678",
        "0031 00 12345678",
        "+32 2 123 45 67",
        "+49 30 1234567",
        "+31 343 12345",
        "+3114030",
        "14 343",
        "14 03431",
        "0800 12345",
        "0900 12",
        "0343/123456",
        "0343 123 456 toestel 2",
        "tel. 0343 123 456",
        "٠٣٤٣١٢٣٤٥٦",
        "０３４３１２３４５６",
        "0343 123 45٦",
        "0343 123 4⁵⁶",  # digits of other scripts
        "0343\x00123456",
        "0343 123 456\n",
        "\t0343123456",
        "0343\u2028123456",
        "0343 123\x7f456",
    ],
)
def test_parse_phone_refuses_other_text(text):
    assert params.parse_phone(text) is None
    assert not params.valid_phone(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0340", "0340"),
        ("1581", "1581"),
        ("340", None),
        ("03400", None),
        ("GM0340", None),
        (" 0340", None),
        ("０３４０", None),  # full-width digits
        ("٠٣٤٠", None),  # Arabic-Indic digits
        ("", None),
        (None, None),
        (340, None),
    ],
)
def test_parse_municipality_code_takes_four_ascii_digits(text, expected):
    assert params.parse_municipality_code(text) == expected


@pytest.mark.parametrize("text", ["1", "12", "12a", "12 A", "12-2", "12-II", "3 hs", "7 bis", "12 A-1", "99999", " 5 "])
def test_valid_house_number_takes_dutch_house_numbers_with_an_addition(text):
    assert params.valid_house_number(text)


@pytest.mark.parametrize(
    "text", ["", "xyz", "a12", "0", "012", "123456", "12 abcdefg", "12\x0012", "١٢", "12 a b c", None, 12]
)
def test_valid_house_number_refuses_other_text(text):
    assert not params.valid_house_number(text)
