"""An account holder's rights (AVG): download what is stored about them, delete their account (issue #4, #13, #15).

Accounts owns both and imports no capability. A capability with personal data of an account
connects to the account events (accounts/events.py) at app start: its part of the download is
merged into `export_data`, and it removes or anonymises its rows inside `delete_account`'s
transaction, before the account itself goes.
"""

from flask_babel import gettext as _
from sqlalchemy import delete, update

from .. import clock, transactions
from ..errors import PermissionDenied, ValidationError
from ..extensions import db
from ..notify.models import OutboxMessage
from . import events, permissions
from .models import Membership, User
from .passwords import verify_password


def _iso(value):
    return value.isoformat() if value is not None else None


def export_data(user) -> dict:
    """Return the JSON-able data of an account, with every capability's part of it."""
    now = clock.naive_utcnow()
    permissions.require_login(user)
    return {
        "exported_at": _iso(now),
        "account": {
            "email": user.email,
            "name": user.name,
            "language": user.language,
            "roles": sorted(user.roles),
            "created_at": _iso(user.created_at),
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "last_login_at": _iso(user.last_login_at),
        },
        **events.collect_export(user),  # requests, volunteer profile, signals, … (issue #13, #15)
    }


@transactions.write
def delete_account(user, password, by) -> None:
    """Delete your own account: every capability takes its rows of it along, then the account goes."""
    permissions.require_login(by)
    if by.id != user.id:
        raise PermissionDenied("only your own account")
    if not verify_password(user.password_hash, password or ""):
        raise ValidationError("password", _("Het wachtwoord klopt niet."))
    if user.is_admin:
        raise ValidationError(
            None, _("Een beheerder kan zijn eigen account niet verwijderen. Vraag een andere beheerder om dat te doen.")
        )
    transactions.begin_write()
    # 1. other capabilities remove or anonymise their rows of this account (matching, signals)
    events.account_deleting.send(user)
    # 2. the account: references that do not clear themselves, mail to the address, then the user
    db.session.execute(
        update(User)
        .where(User.invited_by_id == user.id)
        .values(invited_by_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Membership)
        .where(Membership.decided_by_id == user.id)
        .values(decided_by_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.to_address == user.email).execution_options(synchronize_session=False)
    )
    db.session.delete(user)
    transactions.commit()
