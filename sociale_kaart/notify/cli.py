"""E-mail commands: `flask notify send [--loop]`."""

import logging
import time

import click
from flask.cli import AppGroup

notify_cli = AppGroup("notify", help="Send queued e-mail.")
log = logging.getLogger(__name__)


@notify_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running: send, wait, repeat (a worker).")
@click.option("--interval", default=30.0, show_default=True, type=float, help="Seconds between runs with --loop.")
@click.option("--limit", default=100, show_default=True, type=int, help="Messages per run at most.")
@click.option("--runs", default=0, type=int, hidden=True, help="Stop after this many runs (0: never; tests).")
def send(loop, interval, limit, runs):
    """Send the e-mails that are due: over SMTP when SOCIALE_KAART_SMTP_HOST is set, else to instance/mail/."""
    from ..extensions import db
    from ..logs import command_summary
    from .services import send_due

    done = 0
    while True:
        sent, failed = send_due(limit=limit)
        db.session.remove()
        if sent or failed or not loop:
            command_summary(log, "sent %s, failed attempts %s", sent, failed)  # JSON in JSON log mode (#16)
        done += 1
        if not loop or (runs and done >= runs):
            break
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            break
