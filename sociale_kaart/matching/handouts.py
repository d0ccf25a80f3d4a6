"""A list of services handed to a caller, noted in the help request's history (issue #19).

A broker on the phone picks services for the caller into a list (sociale_kaart/lists) and sends
or prints it; the request's history says so, with the services' names: never the e-mail address
it went to. Nothing here commits: the caller's transaction holds the note and the e-mail together.
"""

from collections.abc import Sequence

from ..accounts.models import User
from . import queries, states
from .models import HelpRequest, RequestEvent

# How a list was handed over -> the action of its RequestEvent.
HANDOUT_ACTIONS = {"email": "list_emailed", "print": "list_printed"}


def request_for_handout(request_id: int, by: User | None) -> HelpRequest:
    """Return a request a broker may hand a list for (an admin or a broker of its area), or raise."""
    request = queries.load_request(request_id)
    queries.require_request_broker(request, by)
    return request


def note_list_handed_over(request_id: int, service_names: Sequence[str], how: str, by: User) -> RequestEvent:
    """Add "list e-mailed / printed" with the services' names to a request's history (no commit)."""
    request = request_for_handout(request_id, by)
    return states.record_event(request, HANDOUT_ACTIONS[how], by, queries.staff_role(by), note="; ".join(service_names))
