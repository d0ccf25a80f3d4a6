"""Account commands: `flask users create-admin`, `flask users demo`, `flask users prune-sessions`."""

import click
from flask import current_app
from flask.cli import AppGroup

from ..errors import ValidationError

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--email", prompt=True, help="E-mail address of the admin.")
@click.option("--name", default="", help="Name shown in the pages.")
@click.password_option(help="Password (asked twice when left out).")
@click.option(
    "--municipality", default="", help="CBS code of the municipality of a region the admin works for (default: all)."
)
def create_admin(email, name, password, municipality):
    """Create a confirmed admin account, or make an existing account admin."""
    from . import services

    try:
        user = services.create_admin(email, name or email.split("@")[0], password, municipality.strip() or None)
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Admin account ready: {user.email}")


@users_cli.command("demo")
def demo():
    """Create demo admin, broker and editor accounts (development and testing only; safe to repeat)."""
    from .seed import seed_demo_accounts

    if current_app.config["ENV"] not in ("development", "testing"):
        raise click.ClickException("`flask users demo` only runs in development or testing.")
    created = seed_demo_accounts()
    if not created:
        click.echo("Demo accounts already exist.")
    for email, password in created:
        click.echo(f"{email}  password: {password}")
    if created:
        click.echo("These passwords are shown once; reset them with 'Wachtwoord vergeten' if lost.")


@users_cli.command("prune-sessions")
def prune_sessions():
    """Delete login sessions that have timed out (run daily; a timed-out session never works anyway)."""
    from . import services

    click.echo(f"Deleted {services.prune_sessions()} ended login sessions.")
