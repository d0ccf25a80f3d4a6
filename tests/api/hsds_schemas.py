"""The official HSDS 3.0 schemas bundled in tests/api/hsds_schema (CC BY-SA 4.0, see its README).

Validators resolve the schemas' relative `$ref`s ("phone.json") through a `referencing`
registry over the bundled folder, so nothing is fetched; formats (uuid, email, uri, date-time)
are checked. The official openapi.json refers to the schemas by their raw.githubusercontent.com
addresses: official_validator() serves those from the bundled folder too.
"""

import json
from functools import cache, lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

FOLDER = Path(__file__).resolve().parent / "hsds_schema" / "3.0"
SCHEMAS = FOLDER / "schema"


def load(name):
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def registry():
    resources = []
    for path in sorted(SCHEMAS.rglob("*.json")):
        key = path.relative_to(SCHEMAS).as_posix()
        resources.append(
            (
                key,
                Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012),
            )
        )
    return Registry().with_resources(resources)


@cache
def validator(name):
    """Return a format-checking validator of one bundled schema file (e.g. 'service.json')."""
    return Draft202012Validator({"$ref": name}, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def openapi_validator(*path):
    """Return a validator of a schema inside HSDS's openapi.json (e.g. the Page component)."""
    node = load("openapi.json")
    for key in path:
        node = node[key]
    return Draft202012Validator(node, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(name, instance):
    """Return the validation errors of an instance against a schema file, as readable strings."""
    return [
        f"{name} {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(name).iter_errors(instance)
    ]


# Where the official openapi.json says the schemas are (branch 3.0 of openreferral/specification).
OFFICIAL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


def _bundled(uri):
    """Retrieve an official schema address from the bundled folder.

    The bundle leaves out compiled/service.json, compiled/organization.json and compiled/service_at_location.json
    (README: 2-4 MB each, built entirely from the per-object schemas), so the per-object schema stands
    in for them; their relative refs ("phone.json") then resolve under compiled/ and get the same stand-in.
    """
    if not uri.startswith(OFFICIAL):
        raise NoSuchResource(ref=uri)
    name = uri.removeprefix(OFFICIAL)
    path = SCHEMAS / name
    if not path.is_file() and name.startswith("compiled/"):
        path = SCHEMAS / name.removeprefix("compiled/")
    if not path.is_file():
        raise NoSuchResource(ref=uri)
    return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012)


@lru_cache(maxsize=1)
def official_registry():
    return Registry(retrieve=_bundled)


@cache
def official_validator(uri):
    """Return a format-checking validator of a schema by its official address, e.g. OFFICIAL + "openapi.json#/…"."""
    return Draft202012Validator(
        {"$ref": uri}, registry=official_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def datapackage():
    return json.loads((FOLDER / "datapackage.json").read_text(encoding="utf-8"))
