"""The list of an account in its data download and its deletion (issue #19; AVG).

Which services someone saved can say something about their life, so the list is theirs: it is in
the download of /mijn-gegevens and goes with the account. create_app connects these receivers to
the account events (accounts/events.py) once.
"""

from typing import Any

from ..accounts import events
from ..accounts.models import User
from . import services


def export_account(user: User, **_extra: Any) -> dict[str, Any]:
    """Return the account's list for its data download."""
    return services.account_list_data(user)


def forget_account(user: User, **_extra: Any) -> None:
    """Delete a deleted account's list (no commit)."""
    services.forget_account_list(user)


def connect_account_events() -> None:
    """Take part in the account's data download and deletion (called once by create_app)."""
    events.personal_data_export.connect(export_account)
    events.account_deleting.connect(forget_account)
