"""Region commands (issue #20): `flask region add-municipality CODE`, `flask region list`."""

import click
from flask.cli import AppGroup

from ..errors import ValidationError
from . import municipalities

region_cli = AppGroup("region", help="The municipalities this installation serves.")


@region_cli.command("add-municipality")
@click.argument("code")
@click.option("--name", help="The name shown to residents (default: the gazetteer's).")
def add_municipality(code, name):
    """Add a municipality by CBS code (e.g. 0340) with its kernen from the bundled gazetteer."""
    try:
        municipality, areas = municipalities.add_municipality(code, name=name)
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Added {municipality.name} ({municipality.code}) at /{municipality.slug}/ with {len(areas)} areas: "
        + ", ".join(f"{area.name} ({', '.join(area.postcodes)})" for area in areas)
    )


@region_cli.command("list")
def list_municipalities():
    """List the municipalities with their code, address on the site and number of areas."""
    for row in municipalities.municipality_rows():
        click.echo(f"{row.code}  /{row.slug}/  {row.name}  areas: {len(municipalities.area_ids_of(row.code))}")
