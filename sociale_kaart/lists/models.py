"""Lists of services to hand over (issue #19): "Mijn lijstje" of an account, and short links to a copy.

A list without an account lives in the session (service ids only), so it has no table. An
account's list is kept until its owner removes it; a broker's list may be linked to the help
request of the caller it is made for. A short link holds a copy of a list's services and an area
for the dorpsteam contact: no person, no account, no request.
"""

from .. import clock
from ..extensions import Model, db


class ServiceList(Model):
    """The list of one account ("Mijn lijstje"); a broker's may be made for a caller's help request."""

    __tablename__ = "service_lists"
    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    request_id = db.Column(db.ForeignKey("help_requests.id", ondelete="SET NULL"), index=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)

    items = db.relationship(
        "ServiceListItem",
        order_by="ServiceListItem.position",
        cascade="all, delete-orphan",
        back_populates="service_list",
    )


class ServiceListItem(Model):
    """A service on an account's list, at a position (1, 2, ...)."""

    __tablename__ = "service_list_items"
    list_id = db.Column(db.ForeignKey("service_lists.id", ondelete="CASCADE"), primary_key=True)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True)
    position = db.Column(db.Integer, nullable=False)

    service_list = db.relationship("ServiceList", back_populates="items")


class SharedList(Model):
    """A read-only copy of a list behind a short link (a random token) that works until expires_at."""

    __tablename__ = "shared_lists"
    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(32), nullable=False, unique=True)
    area_id = db.Column(db.ForeignKey("areas.id", ondelete="SET NULL"))  # whose dorpsteam is at the bottom
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    expires_at = db.Column(db.DateTime, nullable=False, index=True)

    area = db.relationship("Area")
    items = db.relationship(
        "SharedListItem", order_by="SharedListItem.position", cascade="all, delete-orphan", passive_deletes=True
    )


class SharedListItem(Model):
    """A service in a shared copy, at a position."""

    __tablename__ = "shared_list_items"
    shared_list_id = db.Column(db.ForeignKey("shared_lists.id", ondelete="CASCADE"), primary_key=True)
    service_id = db.Column(db.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True)
    position = db.Column(db.Integer, nullable=False)
