"""Commands of the matching module (issue #4): retention, reminders, batch proposals."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..directory.models import Area
from ..extensions import db
from . import booking, drafts, lifecycle, privacy

matching_cli = AppGroup("matching", help="Hulpvragen en vrijwilligers: herinneringen, bewaartermijn, voorstellen.")


@matching_cli.command("retention")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Bewaartermijn in dagen (standaard MATCHING_RETENTION_DAYS).",
)
def retention(days):
    """Anonymise closed help requests older than the retention period, delete old unsent drafts (safe to run daily)."""
    from flask import current_app

    days = current_app.config["MATCHING_RETENTION_DAYS"] if days is None else days
    count = privacy.run_retention(days=days)
    click.echo(f"Bewaartermijn {days} dagen: {count} afgesloten hulpvragen geanonimiseerd.")
    click.echo(f"{drafts.purge()} niet verstuurde formulieren van meer dan {drafts.DRAFT_HOURS} uur oud verwijderd.")


@matching_cli.command("reminders")
def reminders():
    """Send the reminders and "Is het doorgegaan?" questions; expire passed requests; mail about long waits."""
    sent = lifecycle.send_reminders()
    asked = lifecycle.ask_feedback()
    expired = lifecycle.expire_requests()
    escalated = lifecycle.escalate_waiting()
    click.echo(
        f"Herinneringen: {sent['reminders']} ({sent['emails']} e-mails). "
        f"Vragen ‘Is het doorgegaan?’: {asked['questions']} ({asked['emails']} e-mails). "
        f"Verlopen hulpvragen: {expired}. Wachten te lang (makelaars gemaild): {escalated}."
    )


@matching_cli.command("propose")
@click.option("--area", "area_code", required=True, help="Code van het dorp of de wijk, bijvoorbeeld doorn.")
def propose(area_code):
    """Propose volunteers for all open requests of an area at once ("stel koppelingen voor")."""
    area = db.session.scalar(select(Area).where(Area.code == area_code))
    if area is None:
        codes = ", ".join(db.session.scalars(select(Area.code).order_by(Area.code)))
        raise click.ClickException(f"Onbekend gebied ‘{area_code}’. Kies uit: {codes or 'geen gebieden geladen'}.")
    result = booking.run_batch_proposals(area.id, by=None, system=True)
    click.echo(
        f"{area.name}: {result.requests} open hulpvragen, {result.volunteers} vrijwilligers bekeken; "
        f"{result.proposed} voorstellen gedaan ({result.replaced} oudere voorstellen vervangen), "
        f"{result.unmatched} hulpvragen zonder passende vrijwilliger."
    )
