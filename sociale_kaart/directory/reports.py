""" "Klopt er iets niet?" (issue #3): residents report an error in a listing, brokers resolve it."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock, transactions
from ..accounts import permissions
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..notify import services as mail
from . import freshness, scopes
from .models import Location, Report, Service, ServiceAtLocation

TOPICS = {
    "contact": _l("Telefoonnummer, e-mail of website"),
    "hours": _l("Openingstijden"),
    "address": _l("Adres of plek"),
    "stopped": _l("Dit bestaat niet meer"),
    "other": _l("Iets anders"),
}
MAX_MESSAGE = 2000


def _public_service(service_id):
    service = freshness.load_service(service_id)
    if service.publication_status != "published":
        raise NotFound(service_id)
    return service


def report_target(service_id):
    """Return the published service a report form is about, or raise NotFound."""
    return _public_service(service_id)


def submit_report(service_id, topic, message, reply_email=None, language="nl"):
    """Record a report about a published listing and tell its brokers and editors (no account needed)."""
    service = _public_service(service_id)
    message = (message or "").strip()
    if topic not in TOPICS:
        raise ValidationError("onderwerp", _("Kies wat er niet klopt."))
    if not message:
        raise ValidationError("bericht", _("Schrijf kort wat er niet klopt."))
    report = Report(
        service_id=service.id,
        topic=topic,
        message=message[:MAX_MESSAGE],
        reply_email=(reply_email or "").strip().lower() or None,
        language=language,
    )
    db.session.add(report)
    recipients = {user.id: user for user in scopes.brokers_of(freshness.service_area_ids(service))}
    recipients.update({user.id: user for user in freshness.editors_of(service.organization_id)})
    for user in recipients.values():
        mail.queue_message(
            user.email,
            "report_received",
            user.language,
            name=user.name,
            service=service,
            topic=topic,
            message=report.message,
            page_url=mail.external_url("directory.service_detail", service_id=service.id, slug=service.slug),
            queue_url=mail.external_url("workspace.home"),
        )
    transactions.commit()
    return report


@dataclass
class OpenReport:
    report: Report
    area_ids: set


def open_reports(by, area_id=None):
    """Return the open reports about listings a broker or admin moderates, oldest first."""
    permissions.require_role(by, "broker")
    reports = db.session.scalars(
        select(Report)
        .where(Report.status == "open")
        .order_by(Report.created_at, Report.id)
        .options(
            selectinload(Report.service).options(
                selectinload(Service.service_areas),
                selectinload(Service.organization),
                selectinload(Service.location_links)
                .selectinload(ServiceAtLocation.location)
                .selectinload(Location.area),
            )
        )
    ).all()
    rows = []
    for report in reports:
        areas = freshness.service_area_ids(report.service)
        if scopes.may_moderate(by, areas) and (area_id is None or area_id in areas):
            rows.append(OpenReport(report, areas))
    return rows


def resolve_report(report_id, by, note=""):
    """Close a report with a note; closing it twice changes nothing."""
    permissions.require_login(by)
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound(report_id)
    scopes.require_moderator(by, freshness.service_area_ids(report.service))
    if report.status == "resolved":
        return report
    report.status = "resolved"
    report.resolved_by_id = by.id
    report.resolved_at = clock.naive_utcnow()
    report.resolution = (note or "").strip()[:MAX_MESSAGE]
    if report.reply_email and report.resolution:
        mail.queue_message(
            report.reply_email,
            "report_resolved",
            report.language,
            service=report.service,
            resolution=report.resolution,
            page_url=mail.external_url(
                "directory.service_detail", service_id=report.service.id, slug=report.service.slug
            ),
        )
    transactions.commit()
    return report
