"""Events of an account that other capabilities take part in (blinker signals, as Flask's own).

The data-subject rights live in accounts.privacy (the /mijn-gegevens page); a capability with
personal data of an account connects here at app start instead of being imported there (issue #13, #15):

- `personal_data_export.send(user)`: each receiver returns a dict of its own keys, merged into
  the account's download;
- `account_deleting.send(user)`: each receiver removes or anonymises its rows of the user,
  inside the deleting transaction (no commit).

Which accounts an admin of one municipality may see (issue #20); the rule is directory.scopes':

- `account_homes.send(codes)`: each receiver returns a WHERE clause on User: the accounts whose own
  data (a volunteer profile, a help request) lies in these municipalities (frozenset of CBS codes);
- `admin_scope.send(admin)`: each receiver returns a WHERE clause on User limiting the accounts the
  admin sees and acts on, or None for every account. accounts.services applies them all; an admin
  with a clause is an admin of one municipality, who does not get the region's e-mail outbox;
- `admin_organizations.send(admin)`: each receiver returns a WHERE clause on Organization: those
  an admin of one municipality may give members (None: every organisation).
"""

from blinker import Namespace

_events = Namespace()

personal_data_export = _events.signal("personal-data-export")
account_deleting = _events.signal("account-deleting")
account_homes = _events.signal("account-homes")
admin_scope = _events.signal("admin-scope")
admin_organizations = _events.signal("admin-organizations")


def collect_export(user) -> dict:
    """Return the merged dicts every receiver of personal_data_export gives for a user."""
    data: dict = {}
    for _receiver, part in personal_data_export.send(user):
        data.update(part or {})
    return data


def admin_scope_clauses(admin) -> list:
    """Return the WHERE clauses on User of every receiver of admin_scope (none: every account)."""
    return [clause for _receiver, clause in admin_scope.send(admin) if clause is not None]


def admin_organization_clauses(admin) -> list:
    """Return the WHERE clauses on Organization of every receiver of admin_organizations (none: all of them)."""
    return [clause for _receiver, clause in admin_organizations.send(admin) if clause is not None]
