"""Issue #12: nothing the browser journeys logged holds a person's data or a token from their links.

Runs right after the other browser tests (see conftest.py) and reads what they logged (the
`browser_log` fixture: the live servers' request lines, the app's messages, database errors).
The people and tokens come from where the journeys got them, not from a list copied here: the
databases their apps used (accounts, help requests, volunteers; the access tokens and every
token link in the e-mail they sent), the journeys' own inputs (their modules' constants) and
the demo data's people.
"""

import importlib

import pytest
from sqlalchemy import column, create_engine, inspect, select, table

from sociale_kaart import logs
from sociale_kaart.accounts.seed import DEMO_ACCOUNTS
from sociale_kaart.matching.seed import REQUESTS, VOLUNTEERS

pytestmark = pytest.mark.browser

JOURNEYS = (
    "test_journeys",
    "test_matching_journey",
    "test_listing_journey",
    "test_accounts_pages",
    "test_signals_journey",
    "test_lists",  # the typed address and the short link (issue #19)
)
# Columns that hold a person's name, e-mail address, phone number or street; and tokens.
PERSONAL = {
    "users": ("email", "name"),
    "volunteer_profiles": ("phone", "street"),
    "help_requests": ("contact_name", "contact_email", "contact_phone", "recipient_name", "street"),
    # "Zorgen over iemand" (issue #15): no signal text reaches a log either
    "signals": ("description", "subject_name", "subject_address", "reporter_name", "reporter_email", "reporter_phone"),
    "signal_events": ("note",),
}
TOKENS = {"help_requests": ("access_token",), "users": ("session_token",), "shared_lists": ("token",)}
MAILS = {"outbox": ("body_text",)}
# Shorter values ("Vera", "12") are parts of ordinary words and numbers in any log.
MIN_LENGTH = 6


def _values(engine, columns):
    tables = set(inspect(engine).get_table_names())
    values = set()
    with engine.connect() as connection:
        for name, wanted in columns.items():
            if name not in tables:
                continue
            present = {c["name"] for c in inspect(engine).get_columns(name)} & set(wanted)
            if not present:
                continue
            for row in connection.execute(select(*(column(c) for c in sorted(present))).select_from(table(name))):
                values.update(value for value in row if isinstance(value, str))
    return values


def _from_databases(urls):
    """Return (personal data, tokens) stored in these databases, tokens in sent e-mail included."""
    people, tokens = set(), set()
    for url in urls:
        engine = create_engine(url)
        try:
            people |= _values(engine, PERSONAL)
            tokens |= _values(engine, TOKENS)
            for body in _values(engine, MAILS):
                tokens.update(logs.MASKER.find_tokens(body))
        finally:
            engine.dispose()
    return people, tokens


def _journey_inputs():
    """Return the journeys' own inputs: their modules' constants (names, e-mail addresses, a password, …)."""
    inputs = set()
    for name in JOURNEYS:
        module = importlib.import_module(f"tests.browser.{name}")
        inputs.update(value for key, value in vars(module).items() if key.isupper() and isinstance(value, str))
    return inputs


def _demo_people():
    """Return the names and e-mail addresses of the demo accounts, volunteers and requesters."""
    people = {value for email, name, *_ in DEMO_ACCOUNTS for value in (email, name)}
    people.update(f"{row[1]} {row[2]}" for row in VOLUNTEERS)
    people.update(value for row in REQUESTS for value in (row[12], row[13]))
    return people


def test_the_journeys_logged_no_personal_data_and_no_token(browser_log):
    browser_log.stop()
    requests = [line for line in browser_log.lines if line.startswith("werkzeug ")]
    if not requests:
        pytest.skip("checks the logs of the browser journeys: run it with them (tests/browser)")
    people, tokens = _from_databases(sorted(browser_log.databases))
    people |= _journey_inputs() | _demo_people()
    secrets = {value for value in people | tokens if len(value) >= MIN_LENGTH}
    text = "\n".join(browser_log.lines)
    assert [value for value in sorted(secrets) if value in text] == []
    if any("/mijn-hulpvraag/" in line for line in requests):
        # the matching journey ran: its token links were requested, and masked
        assert tokens and "/mijn-hulpvraag/*** " in text
