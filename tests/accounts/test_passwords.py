import pytest

from sociale_kaart.accounts.passwords import (
    check_password_policy,
    common_passwords,
    hash_password,
    verify_password,
)


def test_hash_is_scrypt_and_verifies():
    hashed = hash_password("Heuvelrug-Zonnebloem-2026")
    assert hashed.startswith("scrypt:")
    assert verify_password(hashed, "Heuvelrug-Zonnebloem-2026")
    assert not verify_password(hashed, "heuvelrug-zonnebloem-2026")


def test_account_without_password_never_verifies():
    assert not verify_password(None, "")


def test_bundled_list_has_at_least_ten_thousand_passwords():
    passwords = common_passwords()
    assert len(passwords) >= 10_000
    assert "qwertyuiop" in passwords


@pytest.mark.parametrize(
    "password, email, name, expected",
    [
        ("Kort-1", "a@b.nl", "", ["minstens 10 tekens"]),
        ("QwertyUiop", "a@b.nl", "", ["veel gebruikt"]),
        ("1234567890", "a@b.nl", "", ["veel gebruikt"]),
        ("janssen-is-de-beste", "janssen@example.org", "", ["e-mailadres"]),
        ("Marieke-houdt-van-fietsen", "m@example.org", "Marieke de Vries", ["naam"]),
        ("Heuvelrug-Zonnebloem-2026", "jan@example.org", "Jan de Vries", []),
        # Not on the bundled list, but zxcvbn sees a dictionary word plus a digit (issue #14)
        ("wachtwoord1", "a@b.nl", "", ["te makkelijk te raden"]),
        ("Welkom01!x", "a@b.nl", "", ["te makkelijk te raden"]),
        ("fiets paraplu kaas molen", "a@b.nl", "", []),
    ],
)
def test_password_policy(app, password, email, name, expected):
    problems = check_password_policy(password, email, name)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


def test_test_builders_password_passes_the_policy(app):
    from tests.builders import TEST_PASSWORD

    assert check_password_policy(TEST_PASSWORD, "tester@example.org", "Test Persoon") == []
