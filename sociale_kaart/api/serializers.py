"""Nest the directory's flat HSDS records into the JSON objects the API returns.

HSDS types its fields as strings or numbers, never null, so fields we have no value for are
left out rather than sent as null.
"""

from ..directory import hsds, open_data


def clean(record):
    """Return a record without its empty (None) fields."""
    return {key: value for key, value in record.items() if value is not None}


def page(result, contents):
    """Return an HSDS Page of contents."""
    return {
        "total_items": result.total,
        "total_pages": result.pages,
        "page_number": result.page,
        "size": len(contents),
        "first_page": result.page == 1,
        "last_page": result.page >= result.pages,
        "empty": not contents,
        "contents": contents,
    }


def taxonomy(item):
    return clean(hsds.taxonomy_record(item))


def taxonomy_term(term, catalogue):
    body = clean(hsds.term_record(term))
    body["taxonomy_detail"] = taxonomy(catalogue.taxonomies_by_id[term.taxonomy_id])
    return body


def _attributes(records, catalogue):
    return [
        {**clean(record), "taxonomy_term": clean(hsds.term_record(catalogue.terms_by_id[record["taxonomy_term_id"]]))}
        for record in records
    ]


def organization(item):
    return clean(hsds.organization_record(item))


def location(item, catalogue):
    """Return a location with its address, accessibility and accessibility attributes."""
    body = clean(hsds.location_record(item))
    body["addresses"] = [clean(record) for record in hsds.address_records(item)]
    body["accessibility"] = [clean(record) for record in hsds.accessibility_records(item, catalogue)]
    body["attributes"] = _attributes(hsds.location_attribute_records(item, catalogue), catalogue)
    return body


def service_minimal(item):
    """Return the least of a service HSDS allows (id, name, status) and when it last changed."""
    return clean(
        {"id": item.uuid, "name": item.name, "status": item.status, "last_modified": hsds.timestamp(item.last_modified)}
    )


def service_item(item):
    """Return a service's one-to-one fields and its organisation (list form)."""
    body = clean(hsds.service_record(item))
    body["organization"] = organization(item.organization)
    return body


def service(item, catalogue):
    """Return a fully nested service."""
    body = service_item(item)
    body.update(
        phones=[clean(record) for record in hsds.phone_records(item, "service")],
        schedules=[clean(record) for record in hsds.schedule_records(item)],
        service_areas=[clean(record) for record in hsds.service_area_records(item)],
        languages=[clean(record) for record in hsds.language_records(item)],
        cost_options=[clean(record) for record in hsds.cost_option_records(item, catalogue)],
        service_at_locations=[
            {**clean(hsds.service_at_location_record(link)), "location": location(link.location, catalogue)}
            for link in item.location_links
        ],
        attributes=_attributes(hsds.service_attribute_records(item, catalogue), catalogue),
    )
    return body


def services(items, detail, catalogue):
    """Return services in the shape a list loaded them in (open_data.MINIMAL, LISTED or FULL)."""
    if detail == open_data.MINIMAL:
        return [service_minimal(item) for item in items]
    if detail == open_data.FULL:
        return [service(item, catalogue) for item in items]
    return [service_item(item) for item in items]


def service_at_location(link, catalogue, full_service=None):
    """Return a service at a location with its location, and its service: fully nested when given (as
    /services/{id}), else in list form."""
    body = clean(hsds.service_at_location_record(link))
    body["location"] = location(link.location, catalogue)
    body["service"] = service(full_service, catalogue) if full_service is not None else service_item(link.service)
    return body


def organization_full(public, catalogue, full_services=False):
    """Return an organisation with its phones, public locations and published services (fully nested or list form)."""
    body = organization(public.organization)
    body.update(
        phones=[clean(record) for record in hsds.phone_records(public.organization, "organization")],
        locations=[location(item, catalogue) for item in public.locations],
        services=[service(item, catalogue) if full_services else service_item(item) for item in public.services],
    )
    return body
