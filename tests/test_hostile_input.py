"""Issue #12: hostile input never gives a 500, and a refused form changes nothing that is stored.

Built from the app itself, so a new route or form is covered without touching this file:

- a small seeded world (two organisations, a user per role, help requests, a match, a pending
  change, a report, mail with links) is walked as each role, starting from every route without
  variables and from the links the app mailed; the walk follows the links and forms on each page,
  which gives real values for every route variable and every form of every role;
- odd values go into every route variable, every query parameter a page reads (recorded while
  walking: the names the code looked up in request.args), and every field of every form, one
  field at a time, with the rest of the form filled in as a person would;
- nothing may give a 500; an id that is not a database id is a 404; a POST that is refused (a 4xx,
  the form again with errors, or an error message) leaves every data table as it was. A POST that
  went through and changed something puts the database back the way the walk left it.

Runs on SQLite and, with SOCIALE_KAART_TEST_DATABASE_URL, on PostgreSQL. Each test prints (and
records as a junit property) how many requests it made: about 6,500 in all, 1-2 minutes.

What keeps it in budget (the forms are the cost): every form is posted with the whole corpus once,
by the first role and route that reach it, and with SHORT_CORPUS by the others; choices get
CHOICE_CORPUS; fields that differ only by a number (opening hours per day) or after a hyphen (the
availability grid) are one family, posted through one member; only tables that a committed
statement wrote to are compared and put back; scrypt runs at its lowest cost in this module.
"""

import hashlib
import html.parser
import io
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.utils import cached_property

from sociale_kaart import clock
from sociale_kaart.accounts.models import ROLES as ACCOUNT_ROLES
from sociale_kaart.extensions import db
from sociale_kaart.matching.forms import STEP_NAMES
from sociale_kaart.params import IdConverter
from tests import builders
from tests.builders import TEST_PASSWORD, login
from tests.conftest import _clock, make_app, pinned_start
from tests.workspace.helpers import csrf_token

ROLES = ("anonymous", *ACCOUNT_ROLES)  # resident, volunteer, editor, broker, admin, ...

# Routes the walk does not visit, with the reason. (Empty is fine; a route that is neither
# reached nor listed here fails test_every_route_is_walked.)
EXCLUDED_ROUTES: dict[str, str] = {}
# Tables that may change although a POST was refused, with the reason.
EXCLUDED_TABLES = {
    "request_drafts": "the help request form in steps (issue #14) saves what was typed, also when a step refuses "
    "it, so nothing typed is lost; control characters are removed before it is saved",
    "login_sessions": "every login writes a row and every page may touch its last_seen_at; the walk logs in "
    "again after each POST that went through",
    "personal_data_views": "the AVG access log: a page that shows a request's personal data logs the view, "
    "also when it shows that page again with a form's errors",
    "signal_views": "the access log of signals (issue #15): the team's page logs each view, also when it shows "
    "a form's errors again",
}

ODD_IDS = ("0", "-1", "2147483648", "9223372036854775808", "²", "٣", "abc", "\x00")  # NUL is %00 in the URL
# What a text variable of a route (a token, slug or code) gets besides ODD_IDS.
PATH_TEXT = (
    "C0 controls",
    "line separator U+2028",
    "next line U+0085",
    "10,000 characters",
    "script tag",
    "SQL",
    "path",
    "percent-encoded NUL",
)
# name -> value; None means the field is left out of the POST
CORPUS = {
    "NUL": "a\x00b",
    "C0 controls": "a\x01\x08\x1bb",
    "line break (header injection)": "/a\r\nSet-Cookie: x=1",
    "line separator U+2028": "a\u2028b",
    "next line U+0085": "a\x85b",
    "10,000 characters": "x" * 10_000,
    "superscript two": "²",
    "Arabic-Indic three": "٣",
    "plus": "+",
    "minus one": "-1",
    "2**63": "9223372036854775808",
    "script tag": "<script>alert(1)</script>",
    "SQL": "' OR 1=1 --",
    "path": "../../etc/passwd",
    "percent-encoded NUL": "%00",
    "empty": "",
    "missing": None,
}
# Two more for query parameters and choices: a '+' in a query string is a space (straal=+ gave a 500),
# and 2**31 is one past PostgreSQL's integer.
VALUES = {**CORPUS, "space (a + in a query string)": " ", "2**31": "2147483648"}
QUERY_CORPUS = {name: value for name, value in VALUES.items() if value is not None}
# What a choice (checkbox, radio button, select, hidden field, button) gets: its value is looked up in a
# list or parsed as an id, so the variants of free text add nothing.
CHOICE_KINDS = {"checkbox", "radio", "select", "hidden", "button"}
CHOICE_CORPUS = ("NUL", "superscript two", "minus one", "2**63", "space (a + in a query string)", "empty", "missing")
# What a role posts to a form another role or route already posted the whole corpus to.
SHORT_CORPUS = ("NUL", "superscript two")

# What a person types into an empty field the page leaves for them (by input name); other empty
# fields stay empty, as the honeypots must.
FILL = {
    "email": "nieuw-adres@example.org",
    "contact_email": "anna@example.org",
    "name": "Nieuwe Naam",
    "contact_name": "Anna de Vries",
    "first_name": "Vera",
    "recipient_name": "Piet de Vries",
    "password": TEST_PASSWORD,
    "password_again": TEST_PASSWORD,
    "current_password": TEST_PASSWORD,
    "new_password": "Nieuw-Zonnebloem-Heuvelrug-2027",
    "new_password_again": "Nieuw-Zonnebloem-Heuvelrug-2027",
    "street": "Dorpsstraat",
    "house_number": "5",
    "postcode": "3941 AB",
    "postal_code": "3941 AB",
    "address_1": "Dorpsstraat 5",
    "summary": "Samen boodschappen doen.",
    "window_start": "13:00",
    "window_end": "17:00",
    "reason": "Het gaat niet door.",
    "comment": "Graag de tijden aanvullen.",
    "bericht": "De openingstijden kloppen niet.",
    "max_km": "5",
}
DATE_FILL = {"first_date": 9, "starts_on": 20, "ends_on": 22, "checked_on": -1, "valid_until": 700}


# --- recording which query parameters a page reads ---------------------------------------------------

_reads = set()


class _RecordingArgs(ImmutableMultiDict):
    """request.args that notes every name the code looks up."""

    def get(self, key, default=None, type=None):
        _reads.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        _reads.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        _reads.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _reads.add(key)
        return super().__contains__(key)


class _RecordingRequest(Request):
    @cached_property
    def args(self):
        return _RecordingArgs(super().args.items(multi=True))


# --- pages: links and forms ---------------------------------------------------------------------------


@dataclass
class Result:
    status: int
    body: str
    error: str | None
    location: str = ""
    json: object = None


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, hidden, password, checkbox, radio, select, button, ...
    values: list = field(default_factory=list)  # what the browser sends as it stands
    options: list = field(default_factory=list)  # the values a person can choose (checkbox, radio, select)


@dataclass
class Form:
    method: str
    action: str
    fields: dict = field(default_factory=dict)

    def field(self, name, kind):
        if name not in self.fields:
            self.fields[name] = Field(name, kind)
        return self.fields[name]


class _PageParser(html.parser.HTMLParser):
    """Collect the links and the forms of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.forms = [], []
        self._form = self._select = self._option = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {key: value if value is not None else "" for key, value in attrs}
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.links.append(a["src"])
        elif tag == "form":
            self._form = Form((a.get("method") or "get").lower(), a.get("action") or "")
            self.forms.append(self._form)
        elif self._form is None or not a.get("name") and tag not in ("option",):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image", "reset", "file"):
                if kind == "submit" and a.get("name"):
                    self._form.field(a["name"], "button").options.append(a.get("value", ""))
                return
            item = self._form.field(a["name"], kind)
            if kind in ("checkbox", "radio"):
                item.options.append(a.get("value", "on"))
                if "checked" in a:
                    item.values.append(a.get("value", "on"))
            else:
                item.values.append(a.get("value", ""))
        elif tag == "button":
            self._form.field(a["name"], "button").options.append(a.get("value", ""))
        elif tag == "select":
            self._select = self._form.field(a["name"], "select")
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea":
            self._textarea = self._form.field(a["name"], "textarea")
            self._textarea.values.append("")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values[-1] += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option[0] if self._option[0] is not None else self._option[2].strip()
            self._select.options.append(value)
            if self._option[1]:
                self._select.values.append(value)
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea.values[-1]  # a browser drops the newline right after <textarea>
            self._textarea.values[-1] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self._textarea = None


def _parse(html_text):
    parser = _PageParser()
    parser.feed(html_text)
    return parser


def baseline(form, today):
    """Return the (name, value) pairs a person would send: the page's values, empty ones filled in."""
    pairs = []
    for item in form.fields.values():
        if item.name == "csrf_token":
            continue
        if item.kind == "button":
            pairs.append((item.name, item.options[0]))
        elif item.kind in ("checkbox", "radio"):
            chosen = item.values or ([item.options[0]] if item.kind == "radio" or len(item.options) > 1 else [])
            pairs.extend((item.name, value) for value in chosen)
        elif item.kind == "select":
            pairs.append((item.name, (item.values or item.options or [""])[0]))
        else:
            for value in item.values or [""]:
                if not value and item.name in FILL:
                    value = FILL[item.name]
                elif not value and item.name in DATE_FILL:
                    value = (today + timedelta(days=DATE_FILL[item.name])).isoformat()
                pairs.append((item.name, value))
    return pairs


# --- noticing writes -----------------------------------------------------------------------------------

_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class _Writes:
    """Note the data tables that committed INSERT, UPDATE and DELETE statements wrote to: only those
    (and the tables whose foreign keys cascade from them) can have changed, so only those are compared."""

    def __init__(self, engine, tables):
        from sqlalchemy import event

        self.tables, self.pending, self.committed = {table.name: table for table in tables}, {}, set()
        event.listen(engine, "after_cursor_execute", self._executed)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _executed(self, connection, cursor, statement, parameters, context, executemany):
        match = _WRITE.match(statement)
        if match and match.group(1).lower() in self.tables:
            self.pending.setdefault(id(connection.connection), set()).add(match.group(1).lower())

    def _commit(self, connection):
        self.committed |= self.pending.pop(id(connection.connection), set())

    def _rollback(self, connection):
        self.pending.pop(id(connection.connection), None)

    def take(self):
        """Return the tables written since the last call, with every table that refers to them."""
        written, self.committed = self.committed, set()
        reached = set(written)
        while True:
            more = {
                name
                for name, table in self.tables.items()
                if name not in reached and any(key.column.table.name in reached for key in table.foreign_keys)
            }
            if not more:
                return [table for name, table in self.tables.items() if name in reached]
            reached |= more


# --- the seeded world -----------------------------------------------------------------------------


class Site:
    """The app, a logged-in test client per role, and what the walk found."""

    def __init__(self, app, users):
        self.app, self.users = app, users
        self.clients = {role: app.test_client() for role in ROLES}
        self.pages = {}  # (role, path) -> (status, reads)
        self.urls = {}  # endpoint -> [path] of real URLs, in the order found
        self.forms = {role: {} for role in ROLES}  # role -> {(route, field names): (page, Form)}
        self.requests = 0
        self.tables = []
        self.pristine = None
        self.writes = None
        self.whole_corpus = []  # the field names of the forms posted with the whole corpus
        self.adapter = app.url_map.bind("localhost")

    # sessions and requests

    def fresh_session(self, role):
        """Start the role's client over: a new session, logged in (not for anonymous)."""
        client = self.clients[role]
        with client.session_transaction() as session:
            session.clear()
        if self.users[role] is not None:
            login(client, self.users[role])
        if self.writes is not None:
            self.writes.take()  # logging in is not what a test's request did

    def token(self, role):
        with self.app.app_context():
            return csrf_token(self.clients[role], self.app)

    def call(self, role, method, url, data=None, **options):
        """Make one request; its error describes an exception or a 5xx (a 500 to the person). `options`: the test
        client's (a JSON body, headers, a content type)."""
        self.requests += 1
        _reads.clear()
        client = self.clients[role]
        try:
            response = client.open(url, method=method, data=data, **options)
        except Exception as error:  # TESTING propagates exceptions: that is the 500
            return Result(500, "", _describe(error))
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        error = f"HTTP {response.status_code}" if response.status_code >= 500 else None
        location = urllib.parse.urlsplit(response.headers.get("Location", ""))
        local = location.path if location.path.startswith("/") and not location.netloc else ""
        return Result(
            response.status_code,
            body,
            error,
            local,
            response.get_json(silent=True) if response.mimetype == "application/json" else None,
        )

    def note(self, endpoint, url):
        """Remember a real URL of a route."""
        urls = self.urls.setdefault(endpoint, [])
        if url not in urls:
            urls.append(url)

    def endpoint(self, url):
        path = urllib.parse.urlsplit(url).path
        for method in ("GET", "POST"):
            try:
                return self.adapter.match(path, method=method)[0]
            except HTTPException:
                continue
        return None

    # stored state

    def snapshot(self, tables=None):
        """Return {table: {primary key: row}} of the data tables (default: all of them)."""
        with self.app.app_context():
            state = {}
            for table in self.tables if tables is None else tables:
                keys = [column.name for column in table.primary_key.columns]
                rows = db.session.execute(table.select()).mappings().all()
                state[table.name] = {tuple(row[key] for key in keys): tuple(row.values()) for row in rows}
            db.session.remove()
            return state

    def restore(self, state, changed):
        """Put the rows of every data table back as the walk left them (row by row: the login sessions stay)."""
        from sociale_kaart.directory import indexing
        from sociale_kaart.directory.services import search_backend

        with self.app.app_context():
            connection = db.session.connection()
            tables = [table for table in self.tables if table.name in state]
            for table in reversed(tables):
                keys = list(table.primary_key.columns)
                for key in state[table.name].keys() - self.pristine[table.name].keys():
                    connection.execute(
                        table.delete().where(*(column == value for column, value in zip(keys, key, strict=True)))
                    )
            for table in tables:
                keys = list(table.primary_key.columns)
                names = [column.name for column in table.columns]
                for key, row in self.pristine[table.name].items():
                    now = state[table.name].get(key)
                    if now is None:
                        connection.execute(table.insert().values(dict(zip(names, row, strict=True))))
                    elif now != row:
                        connection.execute(
                            table.update()
                            .where(*(column == value for column, value in zip(keys, key, strict=True)))
                            .values(dict(zip(names, row, strict=True)))
                        )
            db.session.commit()
            if SEARCHED_TABLES & set(changed):
                search_backend().rebuild(indexing.documents())
            db.session.remove()


def _describe(error):
    import traceback

    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if "/sociale_kaart/" in frame.filename]
    where = f" at {frames[-1].filename.split('/sociale_kaart/')[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}{where}"


def _build_world(app):
    """Create the seeded world; return the user per role."""
    from sociale_kaart.accounts import services as accounts
    from sociale_kaart.directory import editing, reports
    from sociale_kaart.matching import booking, lifecycle, volunteers
    from sociale_kaart.matching import requests as help_requests
    from sociale_kaart.notify import services as notify
    from sociale_kaart.notify.models import OutboxMessage
    from tests.matching.factories import make_match, make_request, make_volunteer, next_weekday
    from tests.workspace.helpers import make_world, service_values

    world = make_world()
    users = {"anonymous": None, "editor": world.users["editor_a"], "broker": world.users["broker_a"]}
    for role in ACCOUNT_ROLES:
        users.setdefault(role, world.users.get(role) or builders.make_user(roles=(role,)))
    profile = make_volunteer(user=users["volunteer"])
    make_volunteer(status="pending", approved_at=None)  # a volunteer to approve
    make_request(requester_id=users["resident"].id, first_date=next_weekday(3))  # the resident's; a free day
    make_volunteer()  # a candidate for it
    make_match(make_request(first_date=next_weekday(4)), make_volunteer(), status="suggested")  # to approve
    make_request(status="submitted", reviewed_at=None)  # to publish or reject
    offered = make_request()
    booking.approve_match(make_match(offered, profile, status="suggested").id, by=users["broker"])  # mails a link
    make_match(make_request(), make_volunteer(), status="accepted")  # to cancel
    past = make_request(
        first_date=clock.today() - timedelta(days=2), status="matched", requester_id=users["resident"].id
    )
    make_match(past, profile, status="accepted")
    lifecycle.ask_feedback()  # mails links
    volunteers.add_absence(
        users["volunteer"], next_weekday(3, 30), next_weekday(3, 30) + timedelta(days=2), "Op vakantie"
    )
    editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, summary="Nieuw."), by=users["editor"]
    )
    editing.request_membership(world.org_a.id, "Ik ben coördinator.", by=users["resident"])
    reports.submit_report(world.service_a.id, "hours", "Dinsdag is het dicht.")
    from sociale_kaart.signals import services as signals

    signals.submit_signal(
        {
            "themes": ["loneliness"],
            "description": "Ze komt de deur niet meer uit.",
            "subject_name": "Mevrouw op nummer 3",
            "area_id": world.area_a.id,
        },
        by=users["resident"],
    )  # for the broker's signal pages
    help_requests.submit_request(
        {
            "task_type": "boodschappen",
            "relation": "self",
            "contact_name": "Anna de Vries",
            "contact_email": "anna.devries@example.org",
            "summary": "Samen boodschappen doen.",
            "street": "Dorpsstraat",
            "house_number": "7",
            "postcode": "3941 AB",
            "schedule_kind": "once",
            "first_date": next_weekday(2),
            "window_start": time(13, 0),
            "window_end": time(17, 0),
            "duration_minutes": 60,
        }
    )  # mails a link
    accounts.register_user("nieuw-lid@example.org", "Nina Nieuw", TEST_PASSWORD)  # mails a link
    accounts.request_password_reset(users["resident"].email)  # mails a link
    accounts.request_email_change(users["editor"], "els.nieuw@example.org", TEST_PASSWORD, by=users["editor"])
    accounts.invite_user(
        "ina@example.org", "Ina Uitgenodigd", ["editor"], [world.org_a.id], [], by=users["admin"]
    )  # mails a link
    notify.send_due(transport=_Postbox())  # the sender writes the e-mails of queued jobs (resets)
    failed = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    failed.status, failed.last_error = "failed", "550 mailbox unavailable"
    db.session.commit()
    # lists to hand over (issue #19): the resident's, and the broker's for a caller's request, each with two
    # services, so their pages have the forms to reorder, remove, mail, share and note; a list mailed after the
    # sender ran stays queued, and its short link is one of the links the walk starts from
    from sociale_kaart.lists import services as lists

    for user in (users["resident"], users["broker"]):
        lists.add_service(world.service_a.id, user, {})
        lists.add_service(world.service_b.id, user, {})
    lists.start_for_caller(offered.id, True, by=users["broker"])
    lists.send_list("lijstje@example.org", users["resident"], {}, "nl")
    return users


class _Postbox:
    """A mail transport that keeps nothing: the links are read from the outbox."""

    def send(self, message, name):
        pass


def _mailed_paths():
    from sociale_kaart.notify.models import OutboxMessage

    paths = []
    for body in db.session.scalars(db.select(OutboxMessage.body_text)):
        for link in re.findall(r"https?://[^\s<>\"']+", body):
            parts = urllib.parse.urlsplit(link)
            paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(paths))


# The tables the search documents are made of (directory/indexing.document): when one changed, the
# index is rebuilt after putting them back.
SEARCHED_TABLES = {
    "services",
    "service_at_locations",
    "locations",
    "organizations",
    "areas",
    "schedules",
    "service_areas",
    "service_categories",
    "service_target_groups",
    "taxonomy_terms",
}
PER_ENDPOINT = 10  # real URLs the walk visits per route and role, at most
DULL_VISITS = 2  # ... and it stops after this many in a row showed no route it had not seen


def _walk(site, role, seeds, follow=True):
    """Visit the role's pages breadth-first from seeds (only the seeds when follow is False).

    Follows links (without their query), redirects, the forms' actions and, in the API's JSON
    pages, the first item of a list. Of each route it visits at most PER_ENDPOINT URLs, and stops
    sooner when DULL_VISITS pages of it in a row linked to or had forms for no route it had not
    seen yet (the broker's page of a request shows other buttons for each state of a match).
    """
    seen, visits, dull, known, queue = set(), {}, {}, set(), list(seeds)
    while queue:
        url = queue.pop(0)
        if not follow and url not in seeds:
            continue
        endpoint = site.endpoint(url)
        if (
            url in seen
            or endpoint is None
            or endpoint in EXCLUDED_ROUTES
            or visits.get(endpoint, 0) >= PER_ENDPOINT
            or dull.get(endpoint, 0) >= DULL_VISITS
        ):
            continue
        seen.add(url)
        visits[endpoint] = visits.get(endpoint, 0) + 1
        site.note(endpoint, url)
        if not _allows(site, url, "GET"):
            continue  # POST only: reached through its forms
        result = site.call(role, "GET", url)
        assert result.error is None, f"GET {url} as {role}: {result.error}"
        site.pages[(role, url)] = (result.status, frozenset(_reads))
        found = set()
        if result.location:
            queue.append(result.location)
            found.add(site.endpoint(result.location))
        if result.json and isinstance(result.json.get("contents"), list) and result.json["contents"]:
            queue.append(f"{urllib.parse.urlsplit(url).path.rstrip('/')}/{result.json['contents'][0].get('id')}")
        page = _parse(result.body) if result.body else _parse("")
        for form in page.forms:
            action = form.action or url
            post_endpoint = site.endpoint(action)
            if form.method == "post" and post_endpoint is not None:
                names = tuple(sorted(form.fields))
                site.forms[role].setdefault((post_endpoint, names), (url, form))
                site.note(post_endpoint, urllib.parse.urlsplit(action).path)
                found.add((post_endpoint, names))
        for link in page.links:
            parts = urllib.parse.urlsplit(link)
            if not parts.scheme and link.startswith("/") and not link.startswith("//"):
                queue.append(parts.path)
                found.add(site.endpoint(parts.path))
        dull[endpoint] = 0 if found - known else dull.get(endpoint, 0) + 1
        known |= found


def _unreached_urls(site):
    """Return URLs for the routes the walk did not reach, filled in with values seen on other routes."""
    seen = {}
    for urls in site.urls.values():
        for url in urls:
            for name, value in (_variables(site, url)[1] or {}).items():
                seen.setdefault(name, value)
    return [
        _with_value(rule, seen, None, None)
        for rule in site.app.url_map.iter_rules()
        if rule.endpoint not in site.urls
        and rule.endpoint not in EXCLUDED_ROUTES
        and rule.arguments
        and rule.arguments <= seen.keys()
    ]


def _allows(site, url, method):
    try:
        site.adapter.match(urllib.parse.urlsplit(url).path, method=method)
    except HTTPException:
        return False
    return True


_real_scrypt = hashlib.scrypt


def _cheap_scrypt(password, *, salt, n, r, p, maxmem=0, dklen=64):
    """scrypt at its lowest cost: the walk sends hundreds of passwords, and hashing cost is not what it tests."""
    return _real_scrypt(password, salt=salt, n=2, r=1, p=1, dklen=dklen)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The seeded world, walked as every role; the database as the walk left it is the pristine state."""
    patch = pytest.MonkeyPatch()
    _clock.start(pinned_start())
    app = make_app(tmp_path_factory.mktemp("hostile"), name="hostile")
    app.request_class = _RecordingRequest
    patch.setattr(hashlib, "scrypt", _cheap_scrypt)
    patch.setattr(builders, "_hashes", {})  # the cheap hashes stay in this module
    with app.app_context():
        db.create_all()
        users = _build_world(app)
        today = clock.today()
        seeds = [rule.rule for rule in app.url_map.iter_rules() if not rule.arguments and "GET" in rule.methods]
        seeds += _mailed_paths()
        # the help request form's later steps (issue #14): without a draft each sends the walk to the first;
        # tests/matching/test_views_public.py sends hostile values to every step with a draft
        seeds += [f"/hulp-vragen/stap/{name}" for name in STEP_NAMES[1:]]
        users = {role: user if user is None else db.session.get(type(user), user.id) for role, user in users.items()}
        db.session.expunge_all()
        db.session.remove()
    site = Site(app, users)
    site.today = today
    site.tables = [table for table in db.metadata.sorted_tables if table.name not in EXCLUDED_TABLES]
    for role in ROLES:
        site.fresh_session(role)
        _walk(site, role, seeds)
    later = _unreached_urls(site)
    for role in ROLES:
        _walk(site, role, later, follow=False)
        site.fresh_session(role)
    site.pristine = site.snapshot()
    with app.app_context():
        site.writes = _Writes(db.engine, site.tables)
    yield site
    patch.undo()
    with app.app_context():
        db.engine.dispose()


# --- the tests --------------------------------------------------------------------------------------


def _report(site, what, before, failures, record_property):
    record_property("requests", site.requests - before)
    print(f"{what}: {site.requests - before} requests")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:60])


def test_every_route_is_walked(site):
    """Every route of the URL map was reached with real values, and every POST route through a form on
    a page (or is excluded with a reason)."""
    missing = sorted(
        rule.endpoint
        for rule in site.app.url_map.iter_rules()
        if rule.endpoint not in EXCLUDED_ROUTES and rule.endpoint not in site.urls
    )
    assert not missing, f"routes the walk never reached (seed the world, or exclude with a reason): {missing}"
    posted = {endpoint for forms in site.forms.values() for endpoint, _names in forms}
    formless = sorted(
        rule.endpoint
        for rule in site.app.url_map.iter_rules()
        if "GET" not in rule.methods and rule.endpoint not in posted and rule.endpoint not in EXCLUDED_ROUTES
    )
    assert not formless, f"POST routes no page had a form for (seed the world, or exclude with a reason): {formless}"


def _variables(site, url):
    endpoint, values = None, None
    for method in ("GET", "POST"):
        try:
            endpoint, values = site.adapter.match(urllib.parse.urlsplit(url).path, method=method)
            break
        except HTTPException:
            continue
    return endpoint, values


def _with_value(rule, values, name, raw):
    """Return the path of a rule with its variables filled in, `name` given the raw (unquoted) text."""

    def fill(match):
        variable = match.group(2)
        text = raw if variable == name else str(values[variable])
        return urllib.parse.quote(text, safe="" if match.group(1) != "path" else "/")

    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


def test_odd_route_variables_give_no_500(site, record_property):
    """Odd values in every route variable: never a 500; an id that is not a database id is a 404.

    Ids are tried as anonymous only: the converter refuses them while routing, before any code that
    knows who asks. Text variables (tokens, slugs, codes) reach the views, so they also get PATH_TEXT,
    as anonymous and as the first role that reached the route.
    """
    before, failures = site.requests, []
    rules = [
        rule
        for rule in site.app.url_map.iter_rules()
        if rule.arguments and rule.endpoint in site.urls and rule.endpoint not in EXCLUDED_ROUTES
    ]
    for rule in rules:
        _endpoint, values = _variables(site, site.urls[rule.endpoint][0])
        method = "GET" if "GET" in rule.methods else "POST"
        reached = [
            role
            for role in ROLES
            if any(site.pages.get((role, url), (404,))[0] < 400 for url in site.urls[rule.endpoint])
        ]
        for name in sorted(rule.arguments):
            is_id = isinstance(rule._converters[name], IdConverter)
            roles = ["anonymous"] if is_id else list(dict.fromkeys(["anonymous", *reached[:1]]))
            odd_values = ODD_IDS if is_id else (*ODD_IDS, *(CORPUS[label] for label in PATH_TEXT))
            for role in roles:
                data = {"csrf_token": site.token(role)} if method == "POST" else None
                for odd in odd_values:
                    if not odd.strip():
                        continue  # an empty or blank segment is another URL (a 404 or a redirect)
                    url = _with_value(rule, values, name, odd)
                    result = site.call(role, method, url, data)
                    if result.error:
                        failures.append(f"{method} {url!r} as {role}: {result.error}")
                    elif is_id and result.status != 404:
                        failures.append(f"{method} {url!r} as {role}: {result.status}, not 404")
                if method == "POST":
                    site.fresh_session(role)
    _report(site, "odd route variables", before, failures, record_property)


def test_odd_query_parameters_give_no_500(site, record_property):
    """Odd values in every query parameter a page reads, one at a time: never a 500.

    One URL per route and role; a public page as anonymous only (it reads the same parameters
    for everyone), other pages as every role that may see them. A parameter gets QUERY_CORPUS on
    the first route of its blueprint that reads it and SHORT_CORPUS on the others (the list and the
    map of a search, the API's lists read theirs with the same code).
    """
    before, failures, done, whole_corpus = site.requests, [], set(), set()
    for (role, url), (status, reads) in sorted(site.pages.items()):
        endpoint = site.endpoint(url)
        public = site.pages.get(("anonymous", url), (None,))[0] == 200
        if status != 200 or not reads or (public and role != "anonymous") or (role, endpoint) in done:
            continue
        done.add((role, endpoint))
        for name in sorted(reads):
            key = (endpoint.split(".")[0], name)
            whole = key not in whole_corpus
            whole_corpus.add(key)
            for label in QUERY_CORPUS if whole else [label for label in SHORT_CORPUS if label in QUERY_CORPUS]:
                query = urllib.parse.urlencode({name: QUERY_CORPUS[label]})
                target = f"{url}{'&' if '?' in url else '?'}{query}"
                result = site.call(role, "GET", target)
                if result.error:
                    failures.append(f"GET {url} ?{name}={label} as {role}: {result.error}")
    _report(site, "odd query parameters", before, failures, record_property)


def _flashed_errors(client):
    with client.session_transaction() as session:
        flashes = session.pop("_flashes", [])
    return any(category == "error" for category, _message in flashes)


def _refused(status, body, flashed_error):
    return (
        400 <= status < 500
        or flashed_error
        or (status == 200 and ('class="error-summary"' in body or "notice--warn" in body))
    )


def _first_to_post(site, role, endpoint, names):
    """Return True when no role or route before this one posted (nearly) the same form with the whole corpus.

    Forms whose field names are at least 90% the same are one form: the public help request and
    the broker's phone intake differ only in a honeypot and a travel limit.
    """
    for earlier in site.whole_corpus:
        if len(names & earlier) >= 0.9 * len(names | earlier):
            return False
    site.whole_corpus.append(names)
    return True


def _families(names):
    """Return one field name per family: names that differ only in numbers, or after a hyphen, are one
    family (the opening hours of each day, the availability grid)."""
    seen, chosen = set(), []
    for name in names:
        family = re.sub(r"[0-9]+", "#", name.split("-")[0])
        if family not in seen:
            seen.add(family)
            chosen.append(name)
    return chosen


@pytest.mark.parametrize("role", ROLES)
def test_hostile_form_values_give_no_500_and_change_nothing_when_refused(site, role, record_property):
    """Every form the role can reach, each field in turn with each hostile value (the rest as a person fills it in).

    A form is posted with the whole corpus once: by the first role, in the order of ROLES, to the
    first route that takes it (see _first_to_post); other roles and routes post it with
    SHORT_CORPUS. Choices get CHOICE_CORPUS. A form found on several pages (the same route for
    another id) is posted once per role.
    """
    before, failures, outcomes = site.requests, [], []
    site.writes.take()
    token = site.token(role)
    client = site.clients[role]
    for key, (page, form) in sorted(site.forms[role].items()):
        endpoint = key[0]
        names = _families([name for name in form.fields if name != "csrf_token"])
        whole = _first_to_post(site, role, endpoint, set(names))
        base = baseline(form, site.today)
        attempts = [("(as filled in)", None, None)]
        for name in names:
            labels = SHORT_CORPUS if not whole else CHOICE_CORPUS if form.fields[name].kind in CHOICE_KINDS else CORPUS
            attempts += [(f"{name}={label}", name, VALUES[label]) for label in labels]
        for label, name, value in attempts:
            pairs = [(key_, val) for key_, val in base if key_ != name]
            if name is not None and value is not None:
                pairs.append((name, value))
            data = MultiDict([("csrf_token", token), *pairs])
            result = site.call(role, "POST", form.action or page, data)
            status, error = result.status, result.error
            refused = _refused(status, result.body, _flashed_errors(client))
            if name is None:
                outcomes.append(f"{endpoint}: {'refused' if refused else 'accepted'} ({status})")
            if error:
                failures.append(f"POST {form.action or page} {label!r} as {role}: {error}")
            changed, written = [], site.writes.take()
            if written:
                after = site.snapshot(written)
                changed = sorted(table for table in after if after[table] != site.pristine[table])
            if changed and (refused or error):
                failures.append(
                    f"POST {form.action or page} {label!r} as {role}: refused ({status}) but changed {changed}"
                )
            if changed:
                site.restore(after, changed)
                site.writes.take()
            if changed or error or not refused:
                site.fresh_session(role)
                token = site.token(role)
    print("\n".join(outcomes))
    _report(site, f"forms as {role}", before, failures, record_property)


def _bodies(fields, token):
    """Return (label, test client options) of bodies no page of the site sends to a form: JSON of the wrong types,
    JSON nested 5,000 deep, and a file in every field; each with a valid CSRF token (in a header for JSON)."""
    header = {"X-CSRFToken": token}
    deep = "[" * 5000 + "]" * 5000
    return [
        ("JSON of wrong types", {"json": {name: [1, {"a": None}] for name in fields}, "headers": header}),
        ("JSON nested 5,000 deep", {"data": deep, "content_type": "application/json", "headers": header}),
        (
            "a file in every field",
            {
                "data": {"csrf_token": token, **{name: (io.BytesIO(b"1\x00"), "x.txt") for name in fields}},
                "content_type": "multipart/form-data",
            },
        ),
    ]


@pytest.mark.parametrize("role", ["anonymous", "broker", "admin"])
def test_a_form_sent_as_json_or_with_files_gives_no_500_and_changes_nothing(site, role, record_property):
    """Flask-WTF reads a JSON body or an upload as a form's values: a number, a list or a file where a field's text
    is read gave a 500 on every form (forms.BaseForm reads form fields only). Each form the role reaches, once each."""
    before, failures = site.requests, []
    site.writes.take()

    def undo():
        """Return the tables a request changed, restored to how they were."""
        written = site.writes.take()
        after = site.snapshot(written) if written else {}
        changed = sorted(table for table in after if after[table] != site.pristine[table])
        if changed:
            site.restore(after, changed)
            site.writes.take()
        return changed

    for (endpoint, *_rest), (page, form) in sorted(site.forms[role].items()):
        url = form.action or page
        fields = [name for name in form.fields if name != "csrf_token"]
        # a form whose every field may stay empty (cancelling one's request) does its work on an empty post too
        empty = site.call(role, "POST", url, {"csrf_token": site.token(role)})
        empty_does_work = bool(undo())
        if empty_does_work or not _refused(empty.status, empty.body, _flashed_errors(site.clients[role])):
            site.fresh_session(role)  # it may have signed the role out
        for label, options in _bodies(fields, site.token(role)):
            result = site.call(role, "POST", url, **options)
            if result.error:
                failures.append(f"POST {url} ({endpoint}) with {label} as {role}: {result.error}")
            changed = undo()
            if changed and not empty_does_work:
                failures.append(f"POST {url} with {label} as {role} changed {changed}, an empty post does not")
            if changed or result.error or not _refused(result.status, result.body, _flashed_errors(site.clients[role])):
                site.fresh_session(role)
    _report(site, f"JSON and file bodies as {role}", before, failures, record_property)
