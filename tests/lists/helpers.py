"""Helpers for the tests of the lists (issue #19): a village with a dorpsteam and three services there."""

from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from tests.builders import make_location, make_organization, make_service

TYPED_ADDRESS = "zoon.van.mevrouw@example.org"  # typed in once, never kept


def make_village(code="doorn", name="Doorn", **contact):
    """Create an area with a dorpsteam contact (phone and e-mail unless given)."""
    values = {"contact_name": f"Dorpsteam {name}", "contact_phone": "0343 000 190"}
    values.update(contact)
    area = Area(code=code, name=name, kind="dorp", municipality_code="1581", postcodes=["3941"], **values)
    db.session.add(area)
    db.session.commit()
    return area


def three_services(area):
    """Create three published services at a location in the area, each with a phone number."""
    organization = make_organization(name="Welzijn Doorn (demo)", phone="0343 000 101")
    location = make_location(organization, area=area, address_1="Kampweg 12", postal_code="3941 HK")
    return [
        make_service(location, name="Mantelzorgcafé", phone="0343 000 111", how_to_apply="Loop binnen."),
        make_service(location, name="Boodschappenhulp", phone=None, categories=("huishouden",)),
        make_service(location, name="Geldhulp", phone="0343 000 113", categories=("geld_schulden",)),
    ]
