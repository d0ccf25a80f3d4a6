"""Directory models, aligned with Open Referral HSDS 3.0.

HSDS core: organization -> service <-> service_at_location <-> location, with phones,
schedules and taxonomy terms. Dutch vocabularies with fixed codes (pyramid level, access
route, cost, mode, accessibility, respite type, language) are stored as codes; categories
and target groups are taxonomy terms so staff can extend them.
"""

import uuid

from sqlalchemy import JSON

from .. import clock
from ..extensions import Model, db


def _uuid():
    return str(uuid.uuid4())


service_categories = db.Table(
    "service_categories",
    db.Column("service_id", db.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    db.Column("term_id", db.ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), primary_key=True),
)

service_target_groups = db.Table(
    "service_target_groups",
    db.Column("service_id", db.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    db.Column("term_id", db.ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), primary_key=True),
)

service_areas = db.Table(
    "service_areas",
    db.Column("service_id", db.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    db.Column("area_id", db.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


# The code of a taxonomy imported from another system starts with this, then its HSDS id (issue #18).
IMPORTED_TAXONOMY_PREFIX = "hsds-"

AREA_CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "contact_address", "contact_hours")


# The colours a municipality may give its pages (header and buttons): each keeps white text at
# a contrast of at least 7:1 (WCAG AAA for text; tests/directory/test_municipalities.py checks).
BRAND_COLOURS = {
    "blauw": "#00466e",
    "groen": "#1d5631",
    "paars": "#4b2a73",
    "rood": "#8a1f1f",
    "petrol": "#00525c",
    "bruin": "#5c3a1a",
}
DEFAULT_BRAND = "blauw"


class Municipality(Model):
    """A municipality of the installation (issue #20): its CBS code, name, contact and settings.

    Its areas (kernen, dorpen, wijken) are the areas with its code. An installation for one
    municipality has one row, made from the settings (municipalities.ensure_default); a region adds
    more with `flask region add-municipality CODE` or the admin's page.
    """

    __tablename__ = "municipalities"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(8), nullable=False, unique=True)  # CBS code, four digits ("1581")
    slug = db.Column(db.String(64), nullable=False, unique=True)  # in the URL: /utrechtse-heuvelrug/
    name = db.Column(db.String(120), nullable=False)  # as shown to residents
    brand = db.Column(db.String(16), nullable=False, default=DEFAULT_BRAND)  # a key of BRAND_COLOURS
    # Volunteers of this municipality may help residents of a neighbouring one and the other way
    # round, when both allow it and the travel distance does (issue #20).
    cross_border_matching = db.Column(db.Boolean, nullable=False, default=False)
    contact_name = db.Column(db.String(120))  # the municipality's own desk (Wmo-loket, sociaal team)
    contact_phone = db.Column(db.String(32))
    contact_email = db.Column(db.String(254))
    contact_address = db.Column(db.String(200))
    contact_hours = db.Column(db.String(200))
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)

    @property
    def colour(self):
        """Return the hex colour of the municipality's brand."""
        return BRAND_COLOURS.get(self.brand, BRAND_COLOURS[DEFAULT_BRAND])

    @property
    def has_contact(self):
        return any(getattr(self, name) for name in AREA_CONTACT_FIELDS)


class Area(Model):
    """A kern, dorp or wijk of the municipality, with its postcodes."""

    __tablename__ = "areas"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(64), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    kind = db.Column(db.String(16), nullable=False, default="dorp")
    municipality_code = db.Column(db.String(8), nullable=False)
    postcodes = db.Column(JSON, nullable=False, default=list)
    lat = db.Column(db.Float)
    lon = db.Column(db.Float)
    # Who residents can call or visit in this area: the dorpsteam or wijkteam (issue #11).
    contact_name = db.Column(db.String(120))
    contact_phone = db.Column(db.String(32))
    contact_email = db.Column(db.String(254))
    contact_address = db.Column(db.String(200))
    contact_hours = db.Column(db.String(200))  # spreekuur, free text

    @property
    def has_contact(self):
        """Return True when any contact detail is filled in."""
        return any(getattr(self, name) for name in AREA_CONTACT_FIELDS)


class CacheVersion(Model):
    """The version stamp of data that processes hold in memory (issue #17): a new stamp with every change.

    Every commit that changes a directory row writes a new random stamp in the same transaction
    (directory/cache.py); each process compares it with the stamp its copy was made at, so several
    servers on one database never keep showing data another one has changed.
    """

    __tablename__ = "cache_versions"
    name = db.Column(db.String(32), primary_key=True)
    stamp = db.Column(db.String(32), nullable=False)
    changed_at = db.Column(db.DateTime, nullable=False)  # naive UTC: Last-Modified of the API


class Taxonomy(Model):
    """A classification scheme (HSDS taxonomy), e.g. categories or target groups."""

    __tablename__ = "taxonomies"
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    code = db.Column(db.String(64), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    # HSDS taxonomy.uri and .version, kept from an imported package's taxonomy (issue #18)
    uri = db.Column(db.String(500))
    version = db.Column(db.String(64))
    last_modified = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)
    terms = db.relationship("TaxonomyTerm", back_populates="taxonomy", order_by="TaxonomyTerm.position")

    @property
    def is_imported(self):
        """Return True for a taxonomy that came from another system's HSDS package, not one of ours."""
        return self.code.startswith(IMPORTED_TAXONOMY_PREFIX)


class TaxonomyTerm(Model):
    """A term of a taxonomy (HSDS taxonomy_term) with a Dutch label."""

    __tablename__ = "taxonomy_terms"
    __table_args__ = (db.UniqueConstraint("taxonomy_id", "code", name="uq_taxonomy_terms_code"),)
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    taxonomy_id = db.Column(db.ForeignKey("taxonomies.id"), nullable=False, index=True)
    parent_id = db.Column(db.ForeignKey("taxonomy_terms.id"))
    code = db.Column(db.String(64), nullable=False)
    name = db.Column(db.String(120), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    position = db.Column(db.Integer, nullable=False, default=0)
    # HSDS taxonomy_term.language and .term_uri of an imported term (issue #18); ours are Dutch and have none
    language = db.Column(db.String(16))
    term_uri = db.Column(db.String(500))
    last_modified = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)
    taxonomy = db.relationship("Taxonomy", back_populates="terms")

    @property
    def taxonomy_code(self):
        """Return the code of the term's taxonomy ("category", "target_group"), as services.TermRow has it."""
        return self.taxonomy.code if self.taxonomy is not None else ""


class Organization(Model):
    """An organisation or initiative that offers services (HSDS organization)."""

    __tablename__ = "organizations"
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    slug = db.Column(db.String(160), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    alternate_name = db.Column(db.String(200))
    description = db.Column(db.Text, nullable=False, default="")
    kind = db.Column(db.String(64), nullable=False, default="")
    email = db.Column(db.String(254))
    website = db.Column(db.String(500))
    phone = db.Column(db.String(40))
    # The HSDS phone object around `phone` (issue #18): its id, extension, type and description, as
    # imported; the export and the API write them back, so another system's phone keeps its id.
    phone_uuid = db.Column(db.String(36))
    phone_extension = db.Column(db.Integer)
    phone_type = db.Column(db.String(16))
    phone_description = db.Column(db.Text, nullable=False, default="")
    is_demo = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    last_modified = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)
    services = db.relationship("Service", back_populates="organization", order_by="Service.name")
    locations = db.relationship("Location", back_populates="organization", order_by="Location.name")


class Location(Model):
    """A place where services are given (HSDS location with its physical address)."""

    __tablename__ = "locations"
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    organization_id = db.Column(db.ForeignKey("organizations.id"), index=True)
    area_id = db.Column(db.ForeignKey("areas.id"), index=True)
    location_type = db.Column(db.String(16), nullable=False, default="physical")
    name = db.Column(db.String(200), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    address_1 = db.Column(db.String(200), nullable=False, default="")
    # "3941 AB" in the Netherlands; another country's postcode as an imported package gives it (issue #18)
    postal_code = db.Column(db.String(16), nullable=False, default="")
    city = db.Column(db.String(120), nullable=False, default="")
    state_province = db.Column(db.String(60), nullable=False, default="Utrecht")
    country = db.Column(db.String(2), nullable=False, default="NL")
    lat = db.Column(db.Float)
    lon = db.Column(db.Float)
    transportation = db.Column(db.Text, nullable=False, default="")
    accessibility = db.Column(JSON, nullable=False, default=list)
    # Accessibility in words, as another system's HSDS package describes it beside our checklist
    # (issue #18): its description, details and id, which the export and the API write back.
    accessibility_note = db.Column(db.Text, nullable=False, default="")
    accessibility_details = db.Column(db.Text, nullable=False, default="")
    accessibility_note_uuid = db.Column(db.String(36))
    organization = db.relationship("Organization", back_populates="locations")
    area = db.relationship("Area")
    service_links = db.relationship("ServiceAtLocation", back_populates="location")

    @property
    def postcode4(self):
        """Return the four digits of the postcode."""
        return self.postal_code[:4]


class Service(Model):
    """A service (voorziening) of an organisation (HSDS service)."""

    __tablename__ = "services"
    __table_args__ = (
        db.CheckConstraint(
            "publication_status IN ('draft', 'pending', 'published', 'archived')",
            name="publication_status",
        ),
        db.CheckConstraint(
            "pyramid_level IN ('gewone_leven', 'vrij_toegankelijk', 'met_indicatie')",
            name="pyramid_level",
        ),
        # The API lists published services by name (issue #17): read in this order, not sorted whole for every page;
        # status and id in the index too, so a page far down the list is read from the index alone (0027).
        db.Index("ix_services_listed_by_name", "publication_status", "name", "uuid", "status", "id"),
        # A service page and an organisation's page list its published services by name (0024).
        db.Index("ix_services_of_organization", "organization_id", "publication_status", "name"),
    )
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    organization_id = db.Column(db.ForeignKey("organizations.id"), nullable=False, index=True)
    slug = db.Column(db.String(200), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    summary = db.Column(db.String(300), nullable=False, default="")
    description = db.Column(db.Text, nullable=False, default="")
    for_whom = db.Column(db.Text, nullable=False, default="")
    how_to_apply = db.Column(db.Text, nullable=False, default="")
    pyramid_level = db.Column(db.String(32), nullable=False)
    access_route = db.Column(db.String(32), nullable=False)
    cost = db.Column(JSON, nullable=False, default=list)
    cost_note = db.Column(db.Text, nullable=False, default="")
    modes = db.Column(JSON, nullable=False, default=list)
    languages = db.Column(JSON, nullable=False, default=list)
    keywords = db.Column(JSON, nullable=False, default=list)
    respite_types = db.Column(JSON, nullable=False, default=list)
    respite_for = db.Column(db.Text, nullable=False, default="")
    respite_lead_time_days = db.Column(db.Integer)
    # A service area in words (werkgebied) that is none of our areas, as another system's HSDS package
    # gives it (issue #18): its name, description and id, which the export and the API write back.
    area_note = db.Column(db.Text, nullable=False, default="")
    area_note_details = db.Column(db.Text, nullable=False, default="")
    area_note_uuid = db.Column(db.String(36))
    phone = db.Column(db.String(40))
    # The HSDS phone object around `phone` (issue #18): its id, extension, type and description, as
    # imported; the export and the API write them back, so another system's phone keeps its id.
    phone_uuid = db.Column(db.String(36))
    phone_extension = db.Column(db.Integer)
    phone_type = db.Column(db.String(16))
    phone_description = db.Column(db.Text, nullable=False, default="")
    email = db.Column(db.String(254))
    url = db.Column(db.String(500))
    minimum_age = db.Column(db.Integer)
    maximum_age = db.Column(db.Integer)
    status = db.Column(db.String(24), nullable=False, default="active")
    alert = db.Column(db.Text, nullable=False, default="")
    publication_status = db.Column(db.String(16), nullable=False, default="draft", index=True)
    assured_date = db.Column(db.Date, index=True)  # indexed: search leaves out long-unchecked listings
    assurer = db.Column(db.String(200), nullable=False, default="")
    assured_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    last_modified = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)

    organization = db.relationship("Organization", back_populates="services")
    assured_by = db.relationship("User")
    categories = db.relationship("TaxonomyTerm", secondary=service_categories, order_by="TaxonomyTerm.position")
    target_groups = db.relationship("TaxonomyTerm", secondary=service_target_groups, order_by="TaxonomyTerm.position")
    service_areas = db.relationship("Area", secondary=service_areas, order_by="Area.name")
    location_links = db.relationship("ServiceAtLocation", back_populates="service", cascade="all, delete-orphan")
    schedules = db.relationship(
        "Schedule",
        back_populates="service",
        cascade="all, delete-orphan",
        order_by="(Schedule.weekday, Schedule.opens_at)",
    )
    cost_options = db.relationship(
        "CostOption", back_populates="service", cascade="all, delete-orphan", order_by="CostOption.position"
    )
    attributes = db.relationship(
        "ServiceAttribute", back_populates="service", cascade="all, delete-orphan", order_by="ServiceAttribute.id"
    )

    @property
    def is_free(self):
        """Return True when the resident pays nothing."""
        return self.cost == ["gratis"]

    @property
    def is_published(self):
        """Return True when the public may see this service."""
        return self.publication_status == "published"


class ServiceAtLocation(Model):
    """A service given at one location: the unit of search (HSDS service_at_location)."""

    __tablename__ = "service_at_locations"
    __table_args__ = (db.UniqueConstraint("service_id", "location_id", name="uq_service_at_locations_pair"),)
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), nullable=False, index=True)
    location_id = db.Column(db.ForeignKey("locations.id"), nullable=False, index=True)
    description = db.Column(db.Text, nullable=False, default="")
    service = db.relationship("Service", back_populates="location_links")
    location = db.relationship("Location", back_populates="service_links")


class Schedule(Model):
    """A weekly opening time (HSDS schedule with freq WEEKLY and one byday).

    The other HSDS schedule fields are kept as imported (issue #18): when the hours hold (valid_from,
    valid_to), the recurrence (dtstart, until, count, interval, wkst, byweekno, bymonthday, byyearday),
    the UTC offset and the notes; the export and the API write them back.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        db.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        db.CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), nullable=False, index=True)
    weekday = db.Column(db.Integer, nullable=False)  # 0 = Monday
    opens_at = db.Column(db.Time, nullable=False)
    closes_at = db.Column(db.Time, nullable=False)
    description = db.Column(db.String(200), nullable=False, default="")
    valid_from = db.Column(db.Date)
    valid_to = db.Column(db.Date)
    dtstart = db.Column(db.Date)
    until = db.Column(db.Date)
    occurrences = db.Column(db.Integer)  # HSDS count
    interval_weeks = db.Column(db.Integer)  # HSDS interval (freq is always WEEKLY): 2 is every other week
    wkst = db.Column(db.String(2))
    byweekno = db.Column(db.String(200))
    bymonthday = db.Column(db.String(200))
    byyearday = db.Column(db.String(200))
    utc_offset = db.Column(db.Float)  # HSDS timezone: the hours' offset from UTC
    schedule_link = db.Column(db.String(500))
    attending_type = db.Column(db.Text, nullable=False, default="")
    notes = db.Column(db.Text, nullable=False, default="")
    service = db.relationship("Service", back_populates="schedules")


class CostOption(Model):
    """A price of a service as another system's HSDS package gives it (HSDS cost_option, issue #18).

    Our own cost is the codes in Service.cost (the export derives cost options from them); these rows
    keep an imported package's amounts, currencies and dates, which the codes cannot hold.
    """

    __tablename__ = "cost_options"
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    option = db.Column(db.Text, nullable=False, default="")
    amount = db.Column(db.Float)
    currency = db.Column(db.String(3))
    amount_description = db.Column(db.Text, nullable=False, default="")
    valid_from = db.Column(db.Date)
    valid_to = db.Column(db.Date)
    service = db.relationship("Service", back_populates="cost_options")


class ServiceAttribute(Model):
    """A service's term of an imported taxonomy, with the HSDS attribute's id and value (issue #18).

    Terms of our own taxonomies are columns and link tables (categories, target groups, codes); a
    taxonomy from another system has no such place, so its links are kept here.
    """

    __tablename__ = "service_attributes"
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), nullable=False, index=True)
    term_id = db.Column(db.ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), nullable=False, index=True)
    link_type = db.Column(db.String(64))
    value = db.Column(db.Text)
    service = db.relationship("Service", back_populates="attributes")
    term = db.relationship("TaxonomyTerm")


# --- Editing, moderation, freshness and reports (issue #3) -------------------------------

CHANGE_KINDS = ("organization", "service", "location")
CHANGE_STATUSES = ("pending", "approved", "returned", "withdrawn")


class ChangeRequest(Model):
    """An editor's proposed version of a listing, waiting for a broker ("ter controle").

    The live row stays as the public sees it until a broker approves; `data` holds the
    proposed field values and `base` the live values when the proposal was made, so the
    broker sees a diff. At most one pending request per listing.
    """

    __tablename__ = "change_requests"
    __table_args__ = (
        db.CheckConstraint("kind IN ('organization', 'service', 'location')", name="kind"),
        db.CheckConstraint("action IN ('create', 'update')", name="action"),
        db.CheckConstraint("status IN ('pending', 'approved', 'returned', 'withdrawn')", name="status"),
        db.Index(
            "uq_change_requests_one_pending",
            "kind",
            "target_id",
            unique=True,
            sqlite_where=db.text("status = 'pending'"),
            postgresql_where=db.text("status = 'pending'"),
        ),
    )
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    target_id = db.Column(db.Integer, nullable=False)
    organization_id = db.Column(db.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    action = db.Column(db.String(8), nullable=False, default="update")
    status = db.Column(db.String(12), nullable=False, default="pending", index=True)
    data = db.Column(JSON, nullable=False, default=dict)
    base = db.Column(JSON, nullable=False, default=dict)
    submitted_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)
    decided_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at = db.Column(db.DateTime)
    comment = db.Column(db.Text, nullable=False, default="")  # the broker's note to the editor

    organization = db.relationship("Organization")
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])


class HistoryEntry(Model):
    """One event in a listing's history: who, when, what, and each changed field's old and new value."""

    __tablename__ = "history"
    __table_args__ = (db.Index("ix_history_target", "kind", "target_id", "at"),)
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    target_id = db.Column(db.Integer, nullable=False)
    organization_id = db.Column(db.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    change_request_id = db.Column(db.ForeignKey("change_requests.id", ondelete="SET NULL"))
    action = db.Column(db.String(24), nullable=False)
    changes = db.Column(JSON, nullable=False, default=dict)  # field -> [old, new]
    comment = db.Column(db.Text, nullable=False, default="")
    actor_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)

    actor = db.relationship("User")
    change_request = db.relationship("ChangeRequest")


class Report(Model):
    """A resident's "Klopt er iets niet?" report about a public listing."""

    __tablename__ = "reports"
    __table_args__ = (db.CheckConstraint("status IN ('open', 'resolved')", name="status"),)
    id = db.Column(db.Integer, primary_key=True)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), nullable=False, index=True)
    topic = db.Column(db.String(32), nullable=False, default="other")
    message = db.Column(db.Text, nullable=False)
    reply_email = db.Column(db.String(254))  # optional, only to answer the reporter
    language = db.Column(db.String(2), nullable=False, default="nl")
    status = db.Column(db.String(12), nullable=False, default="open", index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    resolved_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at = db.Column(db.DateTime)
    resolution = db.Column(db.Text, nullable=False, default="")

    service = db.relationship("Service")
    resolved_by = db.relationship("User")


class FreshnessNotice(Model):
    """A freshness e-mail sent for a listing: one per stage per check date (keeps reminders idempotent)."""

    __tablename__ = "freshness_notices"
    __table_args__ = (
        db.UniqueConstraint("service_id", "stage", "checked_on", name="uq_freshness_notices_once"),
        db.CheckConstraint("stage IN ('reminder', 'stale', 'hidden')", name="stage"),
    )
    id = db.Column(db.Integer, primary_key=True)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), nullable=False, index=True)
    stage = db.Column(db.String(12), nullable=False)
    checked_on = db.Column(db.Date, nullable=False)  # the check date the notice is about
    sent_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    recipients = db.Column(db.Integer, nullable=False, default=0)
