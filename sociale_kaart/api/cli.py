"""`flask hsds export DIR` and `flask hsds import DIR`: HSDS 3.0 tabular data packages (issue #5)."""

import click
from flask.cli import AppGroup

from ..directory import hsds_io, municipalities
from ..directory.services import search_backend
from ..params import parse_municipality_code

hsds_cli = AppGroup("hsds", help="Export and import HSDS 3.0 data packages.")


def _counts(counter):
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counter.items())) or "none"


@hsds_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--municipality",
    metavar="CODE",
    help="CBS code of one of the installation's municipalities (e.g. 0340): only the services that serve it, "
    "with their organisations and locations (issue #20). Without it: the whole region.",
)
def export(folder, municipality):
    """Write the published directory as an HSDS package (datapackage.json + CSV files) into FOLDER."""
    if municipality is not None:
        code = parse_municipality_code(municipality)
        if code is None or municipalities.by_code(code) is None:
            known = ", ".join(f"{row.code} ({row.name})" for row in municipalities.municipality_rows())
            raise click.BadParameter(f"{municipality!r} is none of this installation's municipalities: {known}")
        municipality = code
    counts = hsds_io.export_package(folder, municipality)
    click.echo(f"HSDS 3.0 package written to {folder}: " + ", ".join(f"{n} {name}" for name, n in counts.items() if n))


@hsds_cli.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def import_(folder):
    """Read an HSDS package from FOLDER into the database, for a broker to review and publish."""
    report = hsds_io.import_package(folder, search_backend())
    if report.refused:  # another HSDS version: nothing was read, and the command says so by its exit status
        raise click.ClickException(report.refused)
    click.echo(f"Created: {_counts(report.created)}.")
    click.echo(f"Updated: {_counts(report.updated)}.")
    click.echo(f"Unchanged: {_counts(report.unchanged)}.")
    click.echo(
        "New and changed services are 'ter controle': they wait in the brokers' queue "
        "(/werkplek/controle) until a broker publishes them."
    )
    for name in report.back_to_draft:
        click.echo(f"Was published, changed by this import, back in review (hidden until a broker approves): {name}")
    for what in report.public_updates:
        click.echo(f"Updated in place, visible to the public: {what}")
    for note in report.notes:
        click.echo(f"Note: {note}")
    if report.problems:
        click.echo(f"{len(report.problems)} rows, fields or files not kept:", err=True)
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
