"""The wegwijzer of a village (issue #19): its free, low-threshold services by life situation, to print.

For the community centre, the library or the huisarts's waiting room: what a resident can use
without paying and without an indication, grouped by the home page's tiles (web.situations), with
the dorpsteam's contact and the date it was made. A service that answers more situations is
described once, under the first, and named under the others.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock, params
from ..directory import freshness, indexing
from ..directory.models import Area, Service, ServiceAtLocation, TaxonomyTerm
from ..errors import NotFound
from ..extensions import db
from ..web.situations import SITUATIONS, Situation

# Low-threshold: open to everyone without an indication or referral (the pyramid's two lower levels).
LOW_THRESHOLD = ("gewone_leven", "vrij_toegankelijk")
MAX_CODE = 64


@dataclass
class BookletGroup:
    """One life situation of the booklet: the services described here, and those described earlier."""

    situation: Situation
    services: list[Service] = field(default_factory=list)
    described_earlier: list[tuple[Service, Situation]] = field(default_factory=list)


@dataclass
class Booklet:
    """A village's wegwijzer."""

    area: Area
    groups: list[BookletGroup]
    made_on: date

    @property
    def service_count(self) -> int:
        """Return how many services the booklet describes."""
        return sum(len(group.services) for group in self.groups)


def booklet_areas() -> Sequence[Area]:
    """Return the areas with a wegwijzer (every area), by name."""
    return db.session.scalars(select(Area).order_by(Area.name)).all()


def _area(code: object) -> Area:
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE or params.has_control_characters(code):
        raise NotFound("area")
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"area {code}")
    return area


def is_free_and_low_threshold(service: Service) -> bool:
    """Return True for a service a resident uses without paying and without an indication."""
    return service.is_free and service.pyramid_level in LOW_THRESHOLD


def village_services(area: Area, today: date) -> list[Service]:
    """Return the public, free, low-threshold services of an area's situations, by name.

    Of the area: offered there (service area) or given at a location there. Not the ones search
    leaves out for being unchecked too long.
    """
    categories = [situation.category for situation in SITUATIONS]
    candidates = db.session.scalars(
        select(Service)
        .where(
            Service.publication_status == "published",
            Service.pyramid_level.in_(LOW_THRESHOLD),
            Service.categories.any(TaxonomyTerm.code.in_(categories)),
        )
        .options(
            joinedload(Service.organization),
            selectinload(Service.categories),
            selectinload(Service.schedules),
            selectinload(Service.service_areas),
            selectinload(Service.location_links).joinedload(ServiceAtLocation.location),
        )
        .order_by(Service.name, Service.id)
    ).all()
    return [
        service
        for service in candidates
        if indexing.is_searchable(service)
        and is_free_and_low_threshold(service)
        and area.id in freshness.service_area_ids(service)
        and freshness.freshness_state(service, today) != "hidden"
    ]


def wegwijzer(code: object) -> Booklet:
    """Return the wegwijzer of the area with this code, made today by the app clock; raise NotFound."""
    area = _area(code)
    today = clock.today()
    groups = [BookletGroup(situation) for situation in SITUATIONS]
    first: dict[int, Situation] = {}
    for service in village_services(area, today):
        codes = {term.code for term in service.categories}
        for group in groups:
            if group.situation.category not in codes:
                continue
            if service.id in first:
                group.described_earlier.append((service, first[service.id]))
            else:
                first[service.id] = group.situation
                group.services.append(service)
    return Booklet(area, [group for group in groups if group.services or group.described_earlier], today)
