"""Load the demo region from seed/demo/ (idempotent: keyed by stable identifiers).

Utrechtse Heuvelrug and its small neighbour Rhenen (issue #20): an area of areas.json belongs to its
"municipality_code", else to the installation's own municipality.
"""

import json
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock, transactions
from ..extensions import db
from . import hours, municipalities
from .models import (
    AREA_CONTACT_FIELDS,
    Area,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from .services import ensure_taxonomies

SEED_NAMESPACE = uuid.UUID("6f1d2c3e-7a8b-4c5d-9e0f-1a2b3c4d5e6f")


def stable_uuid(kind, key):
    """Return the same UUID for the same seed key on every install."""
    return str(uuid.uuid5(SEED_NAMESPACE, f"{kind}:{key}"))


def _read(folder, name):
    return json.loads((Path(folder) / name).read_text(encoding="utf-8"))


def _existing(model, key, *options):
    """Return {key: row} of a model's rows, loaded in one query."""
    return {getattr(row, key): row for row in db.session.scalars(select(model).options(*options))}


def load_demo(folder, geocoder, backend, municipality_code, today=None):
    """Load or update the demo data; return counts of what is in the data set."""
    today = today or clock.today()
    municipalities.ensure_default()  # a one-municipality installation's row (issue #20)
    ensure_taxonomies()
    terms = {(term.taxonomy.code, term.code): term for term in db.session.scalars(select(TaxonomyTerm).join(Taxonomy))}
    existing = {
        "areas": _existing(Area, "code"),
        "organizations": _existing(Organization, "slug"),
        "locations": _existing(Location, "uuid"),
        "services": _existing(
            Service,
            "slug",
            selectinload(Service.location_links).selectinload(ServiceAtLocation.location),
            selectinload(Service.schedules),
        ),
    }
    area_rows = _read(folder, "areas.json")
    _ensure_municipalities(area_rows, municipality_code)
    with db.session.no_autoflush:
        areas = {
            row["code"]: _upsert_area(existing["areas"].get(row["code"]), row, geocoder, municipality_code)
            for row in area_rows
        }
        organizations = {
            row["key"]: _upsert_organization(existing["organizations"].get(row["key"]), row)
            for row in _read(folder, "organizations.json")
        }
        locations = {
            row["key"]: _upsert_location(
                existing["locations"].get(stable_uuid("location", row["key"])), row, organizations, areas
            )
            for row in _read(folder, "locations.json")
        }
        services = [
            _upsert_service(existing["services"].get(row["key"]), row, organizations, locations, areas, terms, today)
            for row in _read(folder, "services.json")
        ]
    transactions.commit()
    return {
        "areas": len(areas),
        "organizations": len(organizations),
        "locations": len(locations),
        "services": len(services),
    }


def refresh_demo_dates(folder, backend, today=None):
    """Set when each demo listing was last checked again relative to today; return how many changed.

    A demo loaded months ago would otherwise drift out of search (issue #10); only listings of
    demo organisations are touched.
    """
    today = today or clock.today()
    ages = {row["key"]: row.get("assured_days_ago", 0) for row in _read(folder, "services.json")}
    changed = 0
    for service in db.session.scalars(
        select(Service).join(Service.organization).where(Service.slug.in_(ages), Organization.is_demo.is_(True))
    ):
        assured = today - timedelta(days=ages[service.slug])
        if service.assured_date != assured:
            service.assured_date = assured
            changed += 1
    transactions.commit()
    return changed


def load_areas(folder, geocoder, municipality_code, own_only=False):
    """Load or update only the areas, e.g. before importing listings from elsewhere.

    own_only: only those of the installation's own municipality (the demo's neighbour Rhenen left out)."""
    municipalities.ensure_default()
    area_rows = _read(folder, "areas.json")
    if own_only:
        area_rows = [
            row for row in area_rows if (row.get("municipality_code") or municipality_code) == municipality_code
        ]
    _ensure_municipalities(area_rows, municipality_code)
    existing = _existing(Area, "code")
    areas = {
        row["code"]: _upsert_area(existing.get(row["code"]), row, geocoder, municipality_code) for row in area_rows
    }
    transactions.commit()
    return areas


def _ensure_municipalities(area_rows, municipality_code):
    """Make the row of every municipality the areas name (issue #20: the demo's Rhenen, 0340)."""
    for code in sorted({row.get("municipality_code") or municipality_code for row in area_rows}):
        municipalities.ensure_municipality(code)


def _upsert_area(area, row, geocoder, municipality_code):
    """Make or update an area; its municipality is the row's "municipality_code", else the installation's."""
    area = area or Area(code=row["code"])
    point = geocoder.resolve(row["postcodes"][0])
    area.name, area.kind, area.postcodes = row["name"], row["kind"], list(row["postcodes"])
    area.municipality_code = row.get("municipality_code") or municipality_code
    area.lat, area.lon = point.lat, point.lon
    for name in AREA_CONTACT_FIELDS:  # the dorpsteam (issue #11)
        setattr(area, name, row.get(name) or None)
    db.session.add(area)
    return area


def _upsert_organization(organization, row):
    organization = organization or Organization(slug=row["key"], uuid=stable_uuid("organization", row["key"]))
    organization.name = row["name"]
    organization.description = row.get("description", "")
    organization.kind = row.get("kind", "")
    organization.email = row.get("email")
    organization.website = row.get("website")
    organization.phone = row.get("phone")
    organization.is_demo = True
    db.session.add(organization)
    return organization


def _upsert_location(location, row, organizations, areas):
    location = location or Location(uuid=stable_uuid("location", row["key"]))
    location.organization = organizations.get(row.get("organization"))
    location.area = areas.get(row.get("area"))
    location.name = row["name"]
    location.description = row.get("description") or ""
    location.address_1 = row["address_1"]
    location.postal_code = row["postal_code"]
    location.city = row["city"]
    location.lat, location.lon = row["lat"], row["lon"]
    location.accessibility = list(row.get("accessibility") or [])
    location.transportation = row.get("transportation") or ""
    db.session.add(location)
    return location


def _upsert_service(service, row, organizations, locations, areas, terms, today):
    service = service or Service(slug=row["key"], uuid=stable_uuid("service", row["key"]))
    respite = row.get("respite") or {}
    service.organization = organizations[row["organization"]]
    service.name = row["name"]
    service.summary = row.get("summary", "")
    service.description = row.get("description", "")
    service.for_whom = row.get("for_whom", "")
    service.how_to_apply = row.get("how_to_apply", "")
    service.pyramid_level = row["pyramid_level"]
    service.access_route = row["access_route"]
    service.cost = list(row.get("cost") or [])
    service.cost_note = row.get("cost_note") or ""
    service.modes = list(row.get("modes") or [])
    service.languages = list(row.get("languages") or ["nl"])
    service.keywords = list(row.get("keywords") or [])
    service.respite_types = list(respite.get("types") or [])
    service.respite_for = respite.get("for_whom") or ""
    service.respite_lead_time_days = respite.get("lead_time_days")
    service.phone, service.email, service.url = row.get("phone"), row.get("email"), row.get("url")
    service.minimum_age, service.maximum_age = row.get("minimum_age"), row.get("maximum_age")
    service.status = row.get("status") or "active"
    service.alert = row.get("alert") or ""
    service.publication_status = "published"
    service.assured_date = today - timedelta(days=row.get("assured_days_ago", 0))
    service.assurer = service.organization.name
    service.categories = [terms[("category", code)] for code in row["categories"]]
    service.target_groups = [terms[("target_group", code)] for code in row.get("target_groups", [])]
    service.service_areas = [areas[code] for code in row.get("areas", [])]
    db.session.add(service)
    _sync_locations(service, [locations[key] for key in row["locations"]])
    _sync_schedules(service, row.get("schedule") or [])
    return service


def _sync_locations(service, wanted):
    current = {link.location.uuid: link for link in service.location_links}
    wanted_keys = {location.uuid for location in wanted}
    for location in wanted:
        if location.uuid not in current:
            service.location_links.append(
                ServiceAtLocation(
                    location=location, uuid=stable_uuid("service_at_location", f"{service.slug}@{location.uuid}")
                )
            )
    for key, link in current.items():
        if key not in wanted_keys:
            service.location_links.remove(link)


def _sync_schedules(service, rows):
    wanted = [(row["weekday"], hours.parse_time(row["opens"]), hours.parse_time(row["closes"])) for row in rows]
    current = hours.periods_of(service.schedules)
    if sorted(current) != sorted(wanted):
        service.schedules = [
            Schedule(weekday=weekday, opens_at=opens_at, closes_at=closes_at) for weekday, opens_at, closes_at in wanted
        ]


# --- Demo activity for the workspace (issue #3) ----------------------------------------------

DEMO_CHANGE_NOTE = " Nieuw: ook op zaterdagochtend."
DEMO_REPORT = "Het telefoonnummer klopt niet meer. Als ik bel, krijg ik een ander bureau."
DEMO_JOIN_MESSAGE = "Ik ben de nieuwe coördinator van de vrijwilligers en wil onze gegevens bijhouden."


def load_demo_activity(editor_email, broker_email):
    """Give the demo broker something to review: a change, a report and a join request (once).

    Runs through the same use cases as the pages, so the e-mails to brokers are queued too.
    Returns what it added, or an empty list when the workspace already has activity.
    """
    from sqlalchemy import func

    from ..accounts import services as accounts
    from ..accounts.models import Membership, User
    from . import editing, reports
    from .models import ChangeRequest, Report

    if db.session.scalar(select(func.count(ChangeRequest.id))) or db.session.scalar(select(func.count(Report.id))):
        return []
    editor, broker = accounts.find_user_by_email(editor_email), accounts.find_user_by_email(broker_email)
    if editor is None or broker is None:
        return []
    added = []
    broker_areas = {area.id for area in broker.areas}
    own = db.session.scalars(
        select(Service)
        .where(Service.organization_id.in_(editor.organization_ids), Service.publication_status == "published")
        .order_by(Service.name)
    ).all()
    if own:
        service = own[0]
        values = {**editing.snapshot_service(service), "summary": (service.summary + DEMO_CHANGE_NOTE)[:300]}
        editing.propose_service_change(service.id, values, by=editor)
        added.append(f"change to '{service.name}' waiting for review")
    in_area = db.session.scalars(
        select(Service)
        .join(Service.service_areas)
        .where(Area.id.in_(broker_areas), Service.publication_status == "published")
        .order_by(Service.id)
    ).first()
    if in_area is not None:
        reports.submit_report(in_area.id, "contact", DEMO_REPORT)
        added.append(f"report about '{in_area.name}'")
        applicant = accounts.find_user_by_email("nieuwe.redacteur@demo.sociale-kaart.example.org")
        if applicant is None:
            applicant = User(
                email="nieuwe.redacteur@demo.sociale-kaart.example.org",
                name="Nieuwe redacteur (demo)",
                email_confirmed_at=clock.naive_utcnow(),
            )
            db.session.add(applicant)
            db.session.flush()
        if not db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == applicant.id)):
            editing.request_membership(in_area.organization_id, DEMO_JOIN_MESSAGE, by=applicant)
            added.append(f"join request for '{in_area.organization.name}'")
    return added
