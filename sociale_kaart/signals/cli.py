"""Commands of early signalling (issue #15): overdue reminders and retention; both safe to run daily."""

import click
from flask.cli import AppGroup

from . import privacy, services

signals_cli = AppGroup("signals", help="Zorgen over iemand: herinneringen en bewaartermijn.")


@signals_cli.command("remind")
def remind():
    """Mail the brokers once about each signal still waiting for contact after its due date."""
    count = services.send_overdue_reminders()
    click.echo(f"Herinneringen verstuurd voor {count} meldingen over de termijn.")


@signals_cli.command("retention")
def retention():
    """Erase the personal fields of signals closed six months ago or longer (by the app clock)."""
    count = privacy.run_retention()
    click.echo(f"Bewaartermijn {privacy.RETENTION_MONTHS} maanden: {count} afgesloten meldingen gewist.")
