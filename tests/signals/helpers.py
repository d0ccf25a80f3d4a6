"""Builders for the signal tests (issue #15): two areas, a user per role, signals through the service."""

from datetime import datetime, time

from sociale_kaart import clock
from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from sociale_kaart.signals import services
from tests.builders import make_user

# The table's roles: no account, the account roles, brokers of the signal's area and of another,
# an admin, and the policy officer, who reads aggregates only.
ROLES = ("anonymous", "resident", "volunteer", "editor", "broker_a", "broker_b", "admin", "policy")

# What a reporter types: none of it may reach an e-mail, a log or a page outside the area's brokers.
DESCRIPTION = "De gordijnen van Wilhelmina Zonnedauw blijven al een week dicht."
SUBJECT = "Wilhelmina Zonnedauw"
STREET = "Kastanjelaan 12"
REPORTER = "Piet Belbuschauffeur"
REPORTER_EMAIL = "piet.belbus@example.org"
REPORTER_PHONE = "06 4711 0815"
NOTE = "Gebeld met de dochter; zij gaat langs."
PRIVATE = (DESCRIPTION, SUBJECT, "Zonnedauw", STREET, REPORTER, REPORTER_EMAIL, REPORTER_PHONE, NOTE)


class World:
    """Areas Doorn (A) and Leersum (B) and a user per role."""


def make_world():
    """Create the areas and one user per role (broker_a works in Doorn, broker_b in Leersum)."""
    world = World()
    world.area_a = Area(
        code="doorn",
        name="Doorn",
        kind="dorp",
        municipality_code="1581",
        postcodes=["3941"],
        contact_name="Dorpsteam Doorn",
        contact_phone="0343 000 111",
    )
    world.area_b = Area(code="leersum", name="Leersum", kind="dorp", municipality_code="1581", postcodes=["3956"])
    db.session.add_all([world.area_a, world.area_b])
    db.session.commit()
    world.users = {
        "anonymous": None,
        "resident": make_user(roles=("resident",)),
        "volunteer": make_user(roles=("volunteer",)),
        "editor": make_user(roles=("editor",)),
        "broker_a": make_user(roles=("broker",), areas=[world.area_a], name="Bram Broker"),
        "broker_b": make_user(roles=("broker",), areas=[world.area_b], name="Bea Broker"),
        "admin": make_user(roles=("admin",), name="Ada Admin"),
        "policy": make_user(roles=("policy",), name="Pim Beleid"),
    }
    return world


def signal_values(area=None, **overrides):
    """Return the form values of a complete signal (with the reporter's contact details)."""
    values = {
        "themes": ["loneliness", "neglect"],
        "description": DESCRIPTION,
        "subject_name": SUBJECT,
        "subject_address": STREET,
        "area_id": area.id if area is not None else None,
        "reporter_name": REPORTER,
        "reporter_email": REPORTER_EMAIL,
        "reporter_phone": REPORTER_PHONE,
    }
    values.update(overrides)
    return values


def make_signal(area=None, by=None, **overrides):
    """Submit a signal through the service (as the form does) and return it."""
    return services.submit_signal(signal_values(area, **overrides), by=by)


def local_moment(day, hour=9):
    """Return an aware moment on a local date, for app_clock.start()."""
    return datetime.combine(day, time(hour), tzinfo=clock.zone())
