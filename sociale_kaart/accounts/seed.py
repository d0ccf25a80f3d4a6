"""Demo accounts for development and testing (`flask users demo`)."""

import secrets

from sqlalchemy import select

from .. import clock, transactions
from ..extensions import db
from . import services
from .models import User, UserRole
from .passwords import hash_password

# (e-mail, name, roles, area codes, slugs of demo organisations to join): the editor's
# organisations lie in the broker's villages, so the broker reviews the editor's changes.
DEMO_ACCOUNTS = (
    ("beheer@demo.sociale-kaart.example.org", "Beheerder (demo)", ("admin",), (), ()),
    (
        "makelaar@demo.sociale-kaart.example.org",
        "Sociaal makelaar Doorn en Driebergen (demo)",
        ("broker",),
        ("doorn", "driebergen_rijsenburg"),
        (),
    ),
    (
        "redacteur@demo.sociale-kaart.example.org",
        "Redacteur (demo)",
        ("editor",),
        (),
        ("dorpsteam-doorn", "dorpsteam-driebergen"),
    ),
    # A beleidsmedewerker: the area analysis's aggregated figures, never a person's data (issue #15)
    ("beleid@demo.sociale-kaart.example.org", "Beleidsmedewerker (demo)", ("policy",), (), ()),
)


def _password():
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def seed_demo_accounts():
    """Create the demo admin, broker, editor and policy officer once; return [(email, password)] of the new ones."""
    area_class = services.area_class()
    organization_class = services.organization_class()
    created = []
    for email, name, roles, area_codes, organization_slugs in DEMO_ACCOUNTS:
        if services.find_user_by_email(email) is not None:
            continue
        password = _password()
        user = User(
            email=email,
            name=name,
            password_hash=hash_password(password),
            email_confirmed_at=clock.naive_utcnow(),
            password_changed_at=clock.naive_utcnow(),
        )
        user.role_rows = [UserRole(role=role) for role in roles]
        areas = db.session.scalars(select(area_class).where(area_class.code.in_(area_codes))).all()
        organizations = (
            db.session.scalars(
                select(organization_class)
                .where(organization_class.is_demo.is_(True), organization_class.slug.in_(organization_slugs))
                .order_by(organization_class.name)
            ).all()
            if organization_slugs
            else []
        )
        db.session.add(user)
        db.session.flush()
        services.apply_access(
            user, list(roles), [o.id for o in organizations], [a.id for a in areas], user, clock.naive_utcnow()
        )
        created.append((email, password))
    transactions.commit()
    return created
