"""The e-mails of matching (issue #4, #13): to the requester, the volunteer and the area's brokers.

Each function queues one message in the outbox inside the caller's transaction (notify.queue_message);
the service's commit sends it on its way with the change.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from .. import clock
from ..directory import scopes
from ..notify.models import OutboxMessage
from ..notify.services import external_url, queue_message
from . import links, privacy
from .models import Booking, HelpRequest, Match, Occurrence
from .vocabularies import TASK_TYPES


def local_when(occurrence_or_start: Occurrence | datetime, end: datetime | None = None) -> tuple[datetime, datetime]:
    """Return '(dinsdag) 3 maart 2026, 13:00–17:00' style parts: (local start, local end)."""
    start = cast(datetime, getattr(occurrence_or_start, "starts_at", occurrence_or_start))
    stop = cast(datetime, getattr(occurrence_or_start, "ends_at", end))
    return clock.to_local(start), clock.to_local(stop)


def dates_of(request: HelpRequest, bookings: Sequence[Booking] | None = None) -> list[tuple[datetime, datetime]]:
    """Return [(local start, local end)] of a match's booked dates, or the request's open ones."""
    if bookings:
        return [local_when(b.starts_at, b.ends_at) for b in bookings]
    return [local_when(o) for o in request.occurrences if o.status in ("open", "booked")]


def request_url(request: HelpRequest) -> str:
    """Return the requester's own page of a request (works without an account)."""
    return external_url("matching.my_request", token=request.access_token)


def match_link_url(match: Match) -> str:
    """Return the e-mail link where the volunteer accepts or declines an offered match."""
    token = links.make_token("match-link", {"m": match.id, "v": match.volunteer_id})
    return external_url("matching.match_link", token=token)


def mail_requester_about_request(request: HelpRequest, template: str, **context: Any) -> None:
    """Mail the requester about their request itself (received, published, rejected), with its page."""
    if request.contact_email:
        queue_message(
            request.contact_email,
            template,
            request.language,
            request=request,
            name=request.contact_name,
            task_label=str(TASK_TYPES[request.task_type].label),
            page_url=request_url(request),
            **context,
        )


def mail_requester(request: HelpRequest, template: str, **context: Any) -> OutboxMessage | None:
    """Mail the requester about a volunteer for their request; nothing once the request is anonymised."""
    if not request.contact_email or request.anonymised_at:
        return None
    return queue_message(
        request.contact_email,
        template,
        request.language,
        request=request,
        name=request.contact_name,
        request_url=request_url(request),
        **context,
    )


def mail_volunteer(match: Match, template: str, **context: Any) -> OutboxMessage | None:
    """Mail the volunteer of a match (no address of the requester: see mail_volunteer_address)."""
    user = match.volunteer.user
    if user is None or not user.email:
        return None
    return queue_message(
        user.email,
        template,
        user.language,
        match=match,
        request=match.request,
        name=match.volunteer.first_name or user.name,
        **context,
    )


def mail_volunteer_address(match: Match, template: str, **context: Any) -> OutboxMessage | None:
    """Mail the volunteer the requester's address and phone, logged as a view of the address (issue #12)."""
    message = mail_volunteer(match, template, **context)
    if message is not None:
        privacy.log_view(match.request, match.volunteer.user, "volunteer", "address")
    return message


def mail_brokers(request: HelpRequest, template: str, **context: Any) -> None:
    """Mail every active broker of the request's area (without one: of its municipality)."""
    for broker in scopes.brokers_of(request.area_id, scopes.row_code(request.area_id, request.postcode)):
        queue_message(
            broker.email,
            template,
            broker.language,
            request=request,
            name=broker.name,
            broker_url=external_url("broker.request", request_id=request.id),
            **context,
        )
