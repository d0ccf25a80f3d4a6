""" "Klopt er iets niet?": the public report form, its protections, and the broker's side."""

import re

import pytest
from sqlalchemy import select

from sociale_kaart.directory import reports
from sociale_kaart.directory.models import Area, Report
from sociale_kaart.errors import NotFound, PermissionDenied
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import form_token, make_location, make_organization, make_service, make_user
from tests.conftest import make_app


def _area(code="doorn"):
    area = Area(code=code, name=code.title(), municipality_code="1581", postcodes=["3941"])
    db.session.add(area)
    db.session.commit()
    return area


def _service(area=None):
    organization = make_organization()
    location = make_location(organization, area=area)
    return make_service(location=location, name="Boodschappenhulp"), organization


def _post(client, service, **data):
    token = form_token(client, f"/aanbod/{service.id}/melding")
    return client.post(f"/aanbod/{service.id}/melding", data={"csrf_token": token, **data})


def test_report_reaches_the_area_brokers_and_the_editors(app):
    doorn, leersum = _area("doorn"), _area("leersum")
    service, organization = _service(doorn)
    editor = make_user(roles=("editor",), organizations=[organization])
    broker = make_user(roles=("broker",), areas=[doorn])
    make_user(roles=("broker",), areas=[leersum])  # another area: not told
    make_user(roles=("editor",), organizations=[make_organization()])
    client = app.test_client()
    response = _post(
        client, service, onderwerp="hours", bericht="Op woensdag is het nu dicht.", email="Piet@Example.org"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/aanbod/{service.id}/melding/bedankt")
    report = db.session.scalars(select(Report)).one()
    assert (report.topic, report.message, report.reply_email) == (
        "hours",
        "Op woensdag is het nu dicht.",
        "piet@example.org",
    )
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(m.to_address for m in mails) == sorted([editor.email, broker.email])
    assert all("Openingstijden" in m.body_text and "Op woensdag" in m.body_text for m in mails)


def test_invalid_report_keeps_what_was_typed(app):
    service, _ = _service()
    response = _post(app.test_client(), service, onderwerp="contact", bericht="", email="geen-adres")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Schrijf kort wat er niet klopt." in body and "Dit e-mailadres klopt niet." in body
    assert 'value="geen-adres"' in body and re.search(r'<input checked[^>]*value="contact"', body)
    assert db.session.query(Report).count() == 0


def test_too_long_report_is_refused_with_the_text_kept(app):
    service, _ = _service()
    text = "x" * (reports.MAX_MESSAGE + 1)
    body = _post(app.test_client(), service, onderwerp="other", bericht=text).get_data(as_text=True)
    assert "hoogstens 2000 tekens" in body and text in body


def test_honeypot_drops_bot_reports_silently(app):
    service, _ = _service()
    response = _post(app.test_client(), service, onderwerp="other", bericht="Koop nu!", website="http://spam.example")
    assert response.status_code == 303
    assert db.session.query(Report).count() == 0


def test_report_form_needs_a_csrf_token(app):
    service, _ = _service()
    client = app.test_client()
    refused = client.post(f"/aanbod/{service.id}/melding", data={"onderwerp": "other", "bericht": "Fout"})
    assert refused.status_code == 400
    token = form_token(client, f"/aanbod/{service.id}")  # the form on the service page itself
    accepted = client.post(
        f"/aanbod/{service.id}/melding", data={"onderwerp": "other", "bericht": "Fout", "csrf_token": token}
    )
    assert accepted.status_code == 303


def test_report_form_is_rate_limited(tmp_path):
    app = make_app(tmp_path, name="report_limit", RATELIMIT_ENABLED=True, FORM_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
        service, _ = _service()
        client = app.test_client()
        codes = [_post(client, service, onderwerp="other", bericht=f"Fout {n}").status_code for n in range(4)]
        assert codes == [303, 303, 303, 429]
        assert db.session.query(Report).count() == 3
        db.session.remove()
        db.engine.dispose()


def test_unpublished_listing_cannot_be_reported(app):
    service = make_service(publication_status="pending")
    assert app.test_client().get(f"/aanbod/{service.id}/melding").status_code == 404
    with pytest.raises(NotFound):
        reports.submit_report(service.id, "other", "Fout")


def test_brokers_see_reports_of_their_areas_and_resolve_them_once(app):
    doorn, leersum = _area("doorn"), _area("leersum")
    service, _ = _service(doorn)
    report = reports.submit_report(service.id, "stopped", "Gestopt sinds juni.", reply_email="a@example.org")
    doorn_broker = make_user(roles=("broker",), areas=[doorn])
    leersum_broker = make_user(roles=("broker",), areas=[leersum])
    assert [row.report.id for row in reports.open_reports(doorn_broker)] == [report.id]
    assert reports.open_reports(leersum_broker) == []
    assert reports.open_reports(doorn_broker, area_id=leersum.id) == []
    with pytest.raises(PermissionDenied):
        reports.open_reports(make_user(roles=("editor",)))
    with pytest.raises(PermissionDenied):
        reports.resolve_report(report.id, leersum_broker, "Klopt.")
    reports.resolve_report(report.id, doorn_broker, "Aangepast, dank u.")
    reports.resolve_report(report.id, doorn_broker, "Nog een keer.")
    assert report.status == "resolved" and report.resolution == "Aangepast, dank u."
    answers = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "report_resolved")).all()
    assert [m.to_address for m in answers] == ["a@example.org"]
    assert reports.open_reports(doorn_broker) == []


def _report_form(html):
    """Return (action, CSRF token) of the "Klopt er iets niet?" form on a service page."""
    form = re.search(r'<form class="report-form" method="post" action="([^"]+)".*?</form>', html, re.S)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.group(0))
    return form.group(1), token.group(1)


def test_the_report_form_on_a_service_page_posts_to_that_service_with_the_visitors_token(app):
    first, _ = _service()
    second = make_service(name="Maaltijdservice")
    resident, other = app.test_client(), app.test_client()
    action, token = _report_form(resident.get(f"/aanbod/{first.id}").get_data(as_text=True))
    assert action == f"/aanbod/{first.id}/melding"
    # the form's fields are rendered once; each page has its own action
    assert (
        _report_form(resident.get(f"/aanbod/{second.id}").get_data(as_text=True))[0] == f"/aanbod/{second.id}/melding"
    )
    response = resident.post(action, data={"csrf_token": token, "onderwerp": "hours", "bericht": "Nu op woensdag."})
    assert response.status_code == 303
    assert db.session.scalars(select(Report)).one().message == "Nu op woensdag."
    assert other.post(action, data={"onderwerp": "hours", "bericht": "Zonder token."}).status_code == 400
