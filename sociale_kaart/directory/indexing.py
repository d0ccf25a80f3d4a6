"""Keep the search index in step with the database.

A flush listener notes which services a transaction touched; `reindex_on_commit`, a commit
hook of transactions.commit(), re-indexes exactly those after the commit, so the index is updated
after every commit that changes a listing (issue #2). A transactional backend (PostgreSQL, issue #16)
is written instead just before the commit, in the same transaction, by any commit of the session: every
server sees the change as soon as it is committed. `documents()` yields every public document for a full rebuild.
"""

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from . import cache, hours, municipalities
from .models import Location, Organization, Schedule, Service, ServiceAtLocation

_TOUCHED = "sociale_kaart.touched_services"
_REMOVED = "sociale_kaart.removed_documents"
# Ids per IN list: PostgreSQL takes at most 65,535 parameters in one statement, and a commit of
# a bulk import touches more services than that (100,000 in bench/search_service.py, issue #16).
IN_CHUNK = 10_000


def _chunks(ids):
    """Split ids into sorted lists of at most IN_CHUNK."""
    ordered = sorted(i for i in ids if i is not None)
    return [ordered[start : start + IN_CHUNK] for start in range(0, len(ordered), IN_CHUNK)]


def _note(touched, obj):
    """Record what a changed row affects, without loading anything (we are inside a flush)."""
    if isinstance(obj, Service):
        touched.add(("service", obj.id))
    elif isinstance(obj, (ServiceAtLocation, Schedule)):
        touched.add(("service", obj.service_id))
    elif isinstance(obj, Location):
        touched.add(("location", obj.id))
    elif isinstance(obj, Organization):
        touched.add(("organization", obj.id))


def _note_changes(session, flush_context):
    touched = session.info.setdefault(_TOUCHED, set())
    removed = session.info.setdefault(_REMOVED, set())
    for obj in (*session.new, *session.dirty):
        _note(touched, obj)
    for obj in session.deleted:
        # deleting a service cascades to its ServiceAtLocation rows, which land here too
        if isinstance(obj, ServiceAtLocation):
            removed.add(str(obj.id))
            touched.add(("service", obj.service_id))


def _forget_changes(session, *args):
    session.info.pop(_TOUCHED, None)
    session.info.pop(_REMOVED, None)


def _service_ids(touched):
    """Turn noted (kind, id) pairs into the ids of the services they affect."""
    ids = {key for kind, key in touched if kind == "service"}
    locations = {key for kind, key in touched if kind == "location"}
    organizations = {key for kind, key in touched if kind == "organization"}
    for chunk in _chunks(locations):
        ids |= set(
            db.session.scalars(select(ServiceAtLocation.service_id).where(ServiceAtLocation.location_id.in_(chunk)))
        )
    for chunk in _chunks(organizations):
        ids |= set(db.session.scalars(select(Service.id).where(Service.organization_id.in_(chunk))))
    return ids - {None}


def _touch_services(session, flush_context, instances):
    """Bump Service.last_modified for changes the column's onupdate does not see.

    Categories, target groups, areas, schedules and locations are relations: changing only
    those would leave last_modified (the API's modified_after) untouched.
    """
    now = clock.naive_utcnow()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Service) and obj in session.dirty and session.is_modified(obj):
            obj.last_modified = now
        elif isinstance(obj, (Schedule, ServiceAtLocation)):
            service = obj.__dict__.get("service")
            if service is not None and service not in session.deleted:
                service.last_modified = now


def install(session_class):
    """Listen to flushes and commits of a session class (done once by create_app)."""
    if not event.contains(session_class, "after_flush", _note_changes):
        event.listen(session_class, "before_flush", _touch_services)
        event.listen(session_class, "after_flush", _note_changes)
        event.listen(session_class, "after_rollback", _forget_changes)
        event.listen(session_class, "before_commit", _index_before_commit)


def _index_before_commit(session):
    """Write the documents of the touched listings into the committing transaction (issue #16)."""
    backend = current_app.extensions.get("sociale_kaart.search") if has_app_context() else None
    if backend is not None and backend.transactional:
        _reindex_touched(session, backend)


def _reindex_touched(session, backend):
    session.flush()
    touched = _service_ids(session.info.pop(_TOUCHED, set()))
    removed = session.info.pop(_REMOVED, set())
    if touched or removed:
        reindex(backend, touched, removed)


def reindex_on_commit(session):
    """Commit hook (transactions.commit): re-index the listings the committing transaction changed.

    A transactional backend is written now, inside the transaction; any other backend after
    the commit (the returned function), so the index never shows a change that was rolled back.
    """
    backend = current_app.extensions.get("sociale_kaart.search")
    if backend is None:
        return None
    if backend.transactional:
        _reindex_touched(session, backend)  # in this transaction: seen by every server at commit
        return None
    touched = _service_ids(session.info.pop(_TOUCHED, set()))
    removed = session.info.pop(_REMOVED, set())
    if not (touched or removed):
        return None
    return lambda: reindex(backend, touched, removed)


def _listing_query():
    # what each link has one of (its location and that one's area, its service and organisation) is joined into the
    # same statement; the service's collections are read in one statement each: 6 statements for any number of
    # listings, where one statement for each relation made 10 (a commit of a service re-indexes it: every form that
    # changes a listing, and every builder of the tests)
    return select(ServiceAtLocation).options(
        joinedload(ServiceAtLocation.location).joinedload(Location.area),
        joinedload(ServiceAtLocation.service).options(
            joinedload(Service.organization),
            selectinload(Service.categories),
            selectinload(Service.target_groups),
            selectinload(Service.service_areas),
            selectinload(Service.schedules),
            # municipalities.codes_of_service reads every location of the service and its area
            selectinload(Service.location_links).joinedload(ServiceAtLocation.location).joinedload(Location.area),
        ),
    )


def reindex(backend, service_ids, removed_ids=()):
    """Re-index the given services: published ones are written, the rest removed."""
    links = [
        link
        for chunk in _chunks(service_ids)
        for link in db.session.scalars(_listing_query().where(ServiceAtLocation.service_id.in_(chunk)))
    ]
    public = [link for link in links if is_searchable(link.service)]
    hidden = {str(link.id) for link in links if not is_searchable(link.service)}
    stale = set(removed_ids) | hidden
    if stale:
        backend.delete(stale)
    if public:
        backend.index(document(link) for link in public)


def is_searchable(service):
    """Return True when a service belongs in public search results."""
    return service.publication_status == "published" and service.status != "defunct"


def documents():
    """Yield the search document of every public service-at-location."""
    query = (
        _listing_query()
        .join(ServiceAtLocation.service)
        .where(Service.publication_status == "published", Service.status != "defunct")
        .order_by(ServiceAtLocation.id)
    )
    with cache.one_version():  # the kept municipalities and areas, read once for all documents
        for link in db.session.scalars(query):
            yield document(link)


def document(link):
    """Return the search document of one service at one location."""
    service, location = link.service, link.location
    areas = {area.code for area in service.service_areas}
    if location.area is not None:
        areas.add(location.area.code)
    periods = hours.periods_of(service.schedules)
    return {
        "id": str(link.id),
        "service_id": service.id,
        "name": service.name,
        "organization": service.organization.name,
        "category_labels": [term.name for term in (*service.categories, *service.target_groups)],
        "keywords": list(service.keywords or []),
        "summary": service.summary,
        "description": " ".join(
            part
            for part in (service.description, service.for_whom, link.description, location.name, location.city)
            if part
        ),
        "category": [term.code for term in service.categories],
        "target_group": [term.code for term in service.target_groups],
        "pyramid_level": [service.pyramid_level],
        "access_route": [service.access_route],
        "cost": list(service.cost or []),
        "mode": list(service.modes or []),
        "accessibility": list(location.accessibility or []),
        "area": sorted(areas),
        "respite_type": list(service.respite_types or []),
        "language": list(service.languages or []),
        "municipality": sorted(municipalities.codes_of_service(service)),
        "lat": location.lat,
        "lon": location.lon,
        "open_slots": hours.open_slots(periods),
    }
