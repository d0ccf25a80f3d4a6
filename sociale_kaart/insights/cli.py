"""Insights commands (issue #15): `flask insights import-population FILE`."""

from pathlib import Path

import click
from flask.cli import AppGroup

from ..errors import ValidationError
from . import population

SHOW_SKIPPED = 20
insights_cli = AppGroup("insights", help="Area analysis: population figures per area.")


@insights_cli.command("import-population")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="CBS_CODE=AREA",
    help="Count a CBS region (WK158101, BU15810101) as one of our areas (its code); may be repeated.",
)
@click.option(
    "--source",
    default="",
    help='Attribution shown under the figures, e.g. "CBS, Kerncijfers wijken en '
    'buurten 2024 (CC BY 4.0)". Default: CBS with the year of the file.',
)
def import_population(file, mappings, source):
    """Load residents, 65+, 75+ and single-person households per area from a CBS Kerncijfers CSV (replaces)."""
    try:
        result = population.import_population(file.read_bytes(), mappings, source)
    except ValidationError as error:
        raise click.ClickException(str(error.message)) from None
    for name, residents in sorted(result.loaded.items()):
        shown = "unknown" if residents is None else residents
        click.echo(f"{name or 'whole municipality'}: {shown} residents")
    for line, code, name in result.skipped[:SHOW_SKIPPED]:
        click.echo(f"skipped line {line}: {code} {name}".rstrip())
    if len(result.skipped) > SHOW_SKIPPED:
        click.echo(f"... and {len(result.skipped) - SHOW_SKIPPED} more regions that are none of our areas")
    click.echo(f"Source: {result.source}")
