"""Events of an account that other capabilities take part in (blinker signals, as Flask's own).

The data-subject rights live in accounts.privacy (the /mijn-gegevens page); a capability with
personal data of an account connects here at app start instead of being imported there (issue #13, #15):

- `personal_data_export.send(user)`: each receiver returns a dict of its own keys, merged into
  the account's download;
- `account_deleting.send(user)`: each receiver removes or anonymises its rows of the user,
  inside the deleting transaction (no commit).
"""

from blinker import Namespace

_events = Namespace()

personal_data_export = _events.signal("personal-data-export")
account_deleting = _events.signal("account-deleting")


def collect_export(user) -> dict:
    """Return the merged dicts every receiver of personal_data_export gives for a user."""
    data: dict = {}
    for _receiver, part in personal_data_export.send(user):
        data.update(part or {})
    return data
