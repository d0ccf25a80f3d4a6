"""Matching's share of an account's data download and deletion (issue #4, item 7; #13).

accounts.privacy owns both and imports no capability; create_app connects these receivers to its
account events (accounts/events.py) once, before the other capabilities'.
"""

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select

from .. import clock
from ..accounts import events
from ..accounts.models import User
from ..directory import scopes
from ..extensions import db
from . import booking, privacy, states
from .models import HOLDING_MATCH_STATUSES, PENDING_MATCH_STATUSES, HelpRequest, Match, VolunteerProfile


def export_account(user: User, **_extra: Any) -> dict[str, Any]:
    """Return the requests and the volunteer profile of an account for its data download."""
    return privacy.account_data(user)


def forget_account(user: User, **_extra: Any) -> None:
    """Cancel a deleted account's matches and requests, anonymise its requests, remove its profile. No commit.

    Volunteers whose dates are cancelled get an e-mail (and brokers, when it is late). The
    access log keeps the names of those who viewed data: the requester's right to know.
    """
    now = clock.naive_utcnow()
    # 1. their requests: matches cancelled (volunteers told), open requests cancelled, all anonymised
    for request in db.session.scalars(
        select(HelpRequest).where(HelpRequest.requester_id == user.id).order_by(HelpRequest.id)
    ).all():
        booking.release_request(request, "requester", _("De aanvrager heeft het account verwijderd."), by=None)
        if not request.is_closed:
            states.set_status(request, "cancelled", None, "requester", "account verwijderd")
        privacy.anonymise_request(request, now)
    # 2. their volunteer work: holding and pending matches cancelled, then the profile goes
    profile = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    if profile is not None:
        for match in db.session.scalars(
            select(Match)
            .where(Match.volunteer_id == profile.id, Match.status.in_(PENDING_MATCH_STATUSES + HOLDING_MATCH_STATUSES))
            .order_by(Match.id)
        ).all():
            booking.cancel_in_transaction(match, "volunteer", _("De vrijwilliger heeft het account verwijderd."), now)
        db.session.flush()
        db.session.delete(profile)


def homes_of_accounts(codes: frozenset[str], **_extra: Any) -> ColumnElement[bool]:
    """Return the accounts with a volunteer profile or a help request in these municipalities (issue #20).

    A row belongs to its area's municipality, without an area to its postcode's (scopes.row_code).
    """
    area_ids = sorted(scopes.area_ids_in(codes))

    def placed(model: Any) -> ColumnElement[bool]:
        return or_(
            model.area_id.in_(area_ids), and_(model.area_id.is_(None), scopes.without_area_in(codes, model.postcode))
        )

    return or_(
        User.id.in_(select(VolunteerProfile.user_id).where(placed(VolunteerProfile))),
        User.id.in_(select(HelpRequest.requester_id).where(HelpRequest.requester_id.is_not(None), placed(HelpRequest))),
    )


def connect_account_events() -> None:
    """Take part in the account's data download and deletion, and in an admin's scope (called once by create_app)."""
    events.personal_data_export.connect(export_account)
    events.account_deleting.connect(forget_account)
    events.account_homes.connect(homes_of_accounts)
