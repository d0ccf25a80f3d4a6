"""Who is responsible: read-only questions about accounts that other capabilities ask (issue #13)."""

from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from .models import User, UserRole, broker_areas


def brokers_of_areas(area_ids: Iterable[int | None] | int | None) -> list[User]:
    """Return the brokers who receive news about something in these areas, by id.

    The one rule (issue #13): an active account with the broker role and a confirmed e-mail address
    (an invited broker who never opened the welcome link gets no personal data by mail) whose areas
    include one of the areas. Something without an area (a whole-municipality listing, a request
    or profile whose postcode lies in no area) belongs to every such broker, as may_moderate says;
    directory.scopes.brokers_of keeps it to the brokers of its municipality in a region (issue #20).
    """
    if area_ids is None or isinstance(area_ids, int):
        area_ids = [area_ids]
    wanted = {area_id for area_id in area_ids if area_id is not None}
    statement = select(User).where(User.id.in_(_responsible_broker_ids()))
    if wanted:
        statement = statement.where(
            User.id.in_(select(broker_areas.c.user_id).where(broker_areas.c.area_id.in_(wanted)))
        )
    return list(db.session.scalars(statement.order_by(User.id)).all())


def areas_with_brokers() -> set[int]:
    """Return the ids of the areas that have a broker by brokers_of_areas' rule (the others fall to every broker)."""
    return set(
        db.session.scalars(
            select(broker_areas.c.area_id).where(broker_areas.c.user_id.in_(_responsible_broker_ids())).distinct()
        )
    )


def _responsible_broker_ids():
    """Return a subquery of the ids of active brokers with a confirmed e-mail address."""
    return (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "broker", User.active.is_(True), User.email_confirmed_at.is_not(None))
    )
