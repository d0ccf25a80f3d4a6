"""Browser fixtures: the demo app served on 127.0.0.1 and headless Debian Chromium via Playwright."""
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("SOCIALE_KAART_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"{CHROMIUM} is missing but SOCIALE_KAART_REQUIRE_BROWSER is set")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (Debian packages chromium, chromium-driver)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_server(demo_app):
    """Serve the demo app on a free port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


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
def phone_page_without_js(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False,
                                  locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


def session_cookie(app, user):
    """Return a session cookie value that logs `user` in on `app` (as Flask-Login would)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": user.session_token, "_fresh": True})
