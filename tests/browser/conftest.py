"""Browser fixtures: the demo app served on 127.0.0.1 and headless Debian Chromium via Playwright."""

import logging
import os
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from werkzeug.serving import make_server

from sociale_kaart.directory import editing
from sociale_kaart.directory.models import Service
from sociale_kaart.extensions import db
from sociale_kaart.notify import services as notify
from tests.builders import make_user
from tests.conftest import _seed, make_app, smtp_settings
from tests.workspace.helpers import service_values

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    # test_logs_clean.py reads what the other browser tests logged, so it runs right after them (issue #12)
    check = [item for item in items if item.path.name == "test_logs_clean.py"]
    if check:
        rest = [item for item in items if item.path.name != "test_logs_clean.py"]
        browser = [number for number, item in enumerate(rest) if item.path.parent == check[0].path.parent]
        end = browser[-1] + 1 if browser else len(rest)
        items[:] = rest[:end] + check + rest[end:]
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("SOCIALE_KAART_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"{CHROMIUM} is missing but SOCIALE_KAART_REQUIRE_BROWSER is set")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (Debian packages chromium, chromium-driver)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# What the check in test_logs_clean.py reads: request lines and our own messages at every level,
# the database layer's warnings and errors (its DEBUG would print result rows, never on in production).
CAPTURED_LEVELS = {"werkzeug": logging.DEBUG, "sociale_kaart": logging.DEBUG, "sqlalchemy": logging.WARNING}


class LogCapture(logging.Handler):
    """Keeps every log line written during the browser tests, formatted as a log file would have it,
    and the URL of every database the tests' apps used (to read their people and tokens back)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines = []
        self.databases = set()

    def emit(self, record):
        self.lines.append(self.format(record))

    def connected(self, connection):
        self.databases.add(connection.engine.url.render_as_string(hide_password=False))

    def start(self):
        self.levels = {name: logging.getLogger(name).level for name in CAPTURED_LEVELS}
        for name, level in CAPTURED_LEVELS.items():
            logging.getLogger(name).setLevel(level)
        logging.getLogger().addHandler(self)
        event.listen(Engine, "engine_connect", self.connected)

    def stop(self):
        """Stop capturing (once the check has read it, the rest of the session need not be kept)."""
        if not event.contains(Engine, "engine_connect", self.connected):
            return
        event.remove(Engine, "engine_connect", self.connected)
        logging.getLogger().removeHandler(self)
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session", autouse=True)
def browser_log():
    """Capture everything logged while the browser tests run (issue #12: logs without secrets)."""
    capture = LogCapture()
    capture.start()
    yield capture
    capture.stop()


@contextmanager
def serving(app):
    """Serve an app on a free port of 127.0.0.1 in a thread (it shares the pinned app clock); yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def demo_site(folder, name, smtp_server=None):
    """Serve a new app on the demo municipality (its own database in `folder`) on 127.0.0.1; yield (app, base URL).

    With smtp_server the app sends its e-mail there. A test adds its own people in `with app.app_context()`.
    """
    app = make_app(folder, name=name, **(smtp_settings(smtp_server) if smtp_server else {}))
    with app.app_context():
        db.create_all()
        _seed(app)
        db.session.remove()
    with serving(app) as base:
        yield app, base
    with app.app_context():
        db.engine.dispose()


def pending_service_change():
    """Give the first published demo service an editor, "Els Editor", who proposes a new summary for it;
    return (service, editor, change)."""
    service = db.session.scalars(
        select(Service).where(Service.publication_status == "published").order_by(Service.id)
    ).first()
    editor = make_user(roles=("editor",), organizations=[service.organization], name="Els Editor")
    change = editing.propose_service_change(
        service.id, service_values(service, summary="Een nieuwe korte zin."), by=editor
    )
    return service, editor, change


@pytest.fixture(scope="session")
def live_server(demo_app):
    """Serve the demo app on a free port in a thread; yield its base URL."""
    with serving(demo_app) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium; Playwright's launch() gives it a fresh temporary --user-data-dir."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    """A 360 × 740 page with JavaScript."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page_without_js(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


def session_cookie(app, user):
    """Return a session cookie value that logs `user` in on `app` (as Flask-Login would)."""
    from tests.builders import login_token

    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": login_token(app, user), "_fresh": True})


# axe-core's rules for WCAG 2.1 A and AA; run it only with JavaScript on (without it, axe.run() never settles)
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_no_wcag_violations(page):
    """Run axe-core on the page and fail with its report when anything violates WCAG 2.1 A or AA."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


# The innermost elements that reach past the right edge, to name in a failure
WIDEST = """() => [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5
    && ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 0.5))
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
    + ' ' + Math.round(e.getBoundingClientRect().right))"""


# Boxes that stick out of the page's column on the right (into its margin), though the page itself does not scroll
# sideways: a fieldset, form, table or notice wider than its neighbours (the availability grid was, by 11 px)
STICKING_OUT = """() => {
  const main = document.querySelector('main')
  const edge = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight)
  // a wide data table in a box that scrolls sideways on its own is allowed (WCAG 1.4.10's exception)
  const scrolled = e => {
    for (let box = e.parentElement; box && box !== main; box = box.parentElement)
      if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) return true
    return false
  }
  return [...main.querySelectorAll('fieldset, form, table, details, section, .notice, .card, .button')]
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > edge + 0.5 && !scrolled(e))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
      + ' ' + Math.round(e.getBoundingClientRect().right) + ' > ' + Math.round(edge))
}"""


# Buttons that touch: one starts less than 4 px under another it overlaps sideways (wrapped onto a new line, #14)
TOUCHING_BUTTONS = """() => {
  const shown = [...document.querySelectorAll('.button')].filter(b => b.getClientRects().length)
  const touching = []
  for (const upper of shown) for (const lower of shown) {
    const a = upper.getBoundingClientRect(), b = lower.getBoundingClientRect()
    const gap = b.top - a.bottom, side = Math.min(a.right, b.right) - Math.max(a.left, b.left)
    if (upper !== lower && gap > -1 && gap < 4 && side > 0) touching.push(`${upper.innerText} / ${lower.innerText}`)
  }
  return touching.slice(0, 5)
}"""


def assert_on_first_screen(locator):
    """The element shows whole on the first screen: its bottom within the viewport's height, before any scrolling
    (issue #14: a person on a 360 × 740 phone sees the answer without scrolling)."""
    page = locator.page
    bottom = locator.evaluate("e => e.getBoundingClientRect().bottom + scrollY")
    height = page.viewport_size["height"]
    assert bottom <= height, f"{page.url}: {locator} ends at {round(bottom)} px, below the first screen ({height} px)"


def deliver(app, smtp_server, to):
    """Send the outbox over SMTP; return (subject, text body) of every message that reached `to`."""
    with app.app_context():
        notify.send_due()
        db.session.remove()
    return [
        (message["Subject"], message.get_body(preferencelist=("plain",)).get_content())
        for message in smtp_server.messages
        if to in message.envelope_recipients
    ]


def outbox_body(app, to, template):
    """Return the text of the one queued e-mail with a template to an address (a link in it, say)."""
    from sqlalchemy import select

    from sociale_kaart.extensions import db
    from sociale_kaart.notify.models import OutboxMessage

    with app.app_context():
        body = db.session.scalars(
            select(OutboxMessage.body_text).where(OutboxMessage.to_address == to, OutboxMessage.template == template)
        ).one()
        db.session.remove()
    return body
