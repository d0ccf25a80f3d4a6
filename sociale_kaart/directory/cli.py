"""Directory commands: `flask seed demo`, `flask search reindex`, `flask directory freshness`,
`search-log-retention`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from . import freshness, search_log
from . import seed as demo_seed
from .models import Service
from .services import geocoder, reindex_all, search_backend

seed_cli = AppGroup("seed", help="Load demonstration data.")
search_cli = AppGroup("search", help="Manage the search index.")
directory_cli = AppGroup("directory", help="Directory upkeep: freshness reminders, search log retention.")

DEMO_FOLDER = Path(__file__).resolve().parents[2] / "seed" / "demo"


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load when the directory has no services.")
@click.option(
    "--refresh-dates",
    is_flag=True,
    help="Move the dates of a demo loaded earlier to today: when listings were last checked, "
    "help requests, matches and volunteers. With --if-empty: load when empty, else move.",
)
def seed_demo(if_empty, refresh_dates):
    """Load the demo region: Utrechtse Heuvelrug and its small neighbour Rhenen (safe to run twice)."""
    if current_app.config["ENV"] not in ("development", "testing"):
        raise click.ClickException("flask seed demo only runs with SOCIALE_KAART_ENV=development or testing.")
    loaded = db.session.scalar(select(func.count(Service.id)))
    if refresh_dates and (loaded or not if_empty):
        moved = demo_seed.refresh_demo_dates(DEMO_FOLDER, search_backend())
        click.echo(f"Demo dates moved to today ({clock.today().isoformat()}): {moved} listings.")
        for refresher in current_app.extensions.get("sociale_kaart.demo_refreshers", ()):
            for line in refresher():
                click.echo(line)
        return
    if if_empty and loaded:
        click.echo("The directory already has services; demo data not loaded.")
    else:
        counts = demo_seed.load_demo(DEMO_FOLDER, geocoder(), search_backend(), current_app.config["MUNICIPALITY_CODE"])
        click.echo("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    # Other capabilities (matching: volunteers and help requests) add their demo data here;
    # create_app registers them, so this package imports none of them. Each is idempotent.
    for seeder in current_app.extensions.get("sociale_kaart.demo_seeders", ()):
        for line in seeder():
            click.echo(line)


@seed_cli.command("workspace")
def seed_workspace():
    """Demo accounts (admin, broker, editor, policy officer) and work for the broker: a change, a report,
    a join request."""
    from ..accounts.seed import DEMO_ACCOUNTS, seed_demo_accounts

    if current_app.config["ENV"] not in ("development", "testing"):
        raise click.ClickException("flask seed workspace only runs with SOCIALE_KAART_ENV=development or testing.")
    created = seed_demo_accounts()
    for email, password in created:
        click.echo(f"{email}  password: {password}")
    if created:
        click.echo(
            "These passwords are shown once; reset them with 'Wachtwoord vergeten' if lost "
            "(the e-mail is written to instance/mail/)."
        )
    else:
        click.echo("Demo accounts already exist.")
    emails = {roles[0]: email for email, _name, roles, _areas, _orgs in DEMO_ACCOUNTS}
    for line in demo_seed.load_demo_activity(emails["editor"], emails["broker"]):
        click.echo(f"Workspace demo: {line}")


@search_cli.command("reindex")
def reindex():
    """Rebuild the search index from the database."""
    click.echo(f"Indexed {reindex_all()} listings.")


@directory_cli.command("freshness")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend it is this date (YYYY-MM-DD), for a catch-up run.",
)
def freshness_command(today):
    """Queue reminders for listings not checked for a while (one per listing per stage)."""
    counts = freshness.send_reminders(today.date() if today else None)
    click.echo(
        f"Freshness: {counts['reminder']} reminders, {counts['stale']} 'mogelijk verouderd' notices, "
        f"{counts['hidden']} 'uit de zoekresultaten' notices; {counts['emails']} e-mails queued."
    )


@directory_cli.command("search-log-retention")
@click.option(
    "--months", type=click.IntRange(min=1), default=None, help="Keep this many months (default SEARCH_LOG_MONTHS, 12)."
)
def search_log_retention(months):
    """Delete search log entries older than the retention period, by the app clock (run daily)."""
    months = current_app.config["SEARCH_LOG_MONTHS"] if months is None else months
    count = search_log.delete_old_entries(months)
    click.echo(f"Search log: {count} entries older than {months} months deleted.")


@directory_cli.command("search-log-months")
def search_log_months():
    """Add up the search log per month that is over, for the area analysis (run daily, after the retention)."""
    count = search_log.add_up_months()
    click.echo(f"Search log: {count} months added up.")


@directory_cli.command("search-log-drain")
def search_log_drain():
    """Write the searches waiting in Redis (SEARCH_LOG_QUEUE_URI) into the search log; the scheduler does it every
    minute."""
    count = search_log.drain()
    click.echo(f"Search log: {count} waiting searches written.")
