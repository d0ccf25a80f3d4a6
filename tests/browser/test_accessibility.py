"""axe-core (WCAG 2.1 A and AA) on every public page type, as served, in Dutch and English."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from sociale_kaart.directory import freshness
from sociale_kaart.directory.models import Service
from sociale_kaart.extensions import db

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def urls(demo_app):
    with demo_app.app_context():
        service = next(s for s in db.session.query(Service).order_by(Service.id) if s.respite_types)
        stale = next(
            s
            for s in db.session.query(Service).order_by(Service.id)
            if freshness.freshness_state(s) in ("stale", "hidden")
        )
        organization = service.organization
        return {
            "home": "/",
            "results": "/zoeken?q=respijtzorg&waar=3941",
            "results-error": "/zoeken?q=hulp&waar=1234+AB",
            "results-outside": "/zoeken?q=hulp&waar=9999+ZZ",
            "map": "/kaart?q=dementie&waar=Leersum&straal=5",
            "map-empty": "/kaart?q=qqxxzzqq",
            "detail": f"/aanbod/{service.id}/{service.slug}",
            "detail-stale": f"/aanbod/{stale.id}/{stale.slug}",
            "report": f"/aanbod/{service.id}/melding",
            "organisation": f"/organisatie/{organization.slug}",
            "categories": "/onderwerpen",
            "category": "/onderwerpen/respijtzorg?waar=Doorn",
            "about": "/over-deze-kaart",
            "api": "/api",
            "not-found": "/nergens",
        }


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "name",
    [
        "home",
        "results",
        "results-error",
        "results-outside",
        "map",
        "map-empty",
        "detail",
        "detail-stale",
        "report",
        "organisation",
        "categories",
        "category",
        "about",
        "api",
        "not-found",
    ],
)
def test_page_has_no_wcag_violations(page, live_server, urls, name, language):
    page.goto(f"{live_server}/taal/{language}?next=/")
    page.goto(live_server + urls[name])
    if name == "map":
        page.wait_for_selector("#kaart .leaflet-marker-icon")
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
