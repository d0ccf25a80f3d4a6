"""Give each demo location deterministic coordinates near its village.

The rule: a location gets the point of its PC4 postcode from the bundled
gazetteer (shared/data/geo/pc4.csv), shifted by a small offset derived from
the SHA-256 of the location key (at most 0.0055 degrees in each direction),
rounded to 5 decimals. The same key always gives the same coordinates, so the
data can be regenerated without random changes.

Usage (stdlib only):
    python seed/demo/generate_coordinates.py            # rewrite lat/lon in locations.json
    python seed/demo/generate_coordinates.py --check    # exit 1 when a coordinate differs
    python seed/demo/generate_coordinates.py --pc4 PATH # also compare PC4_POINTS with pc4.csv
"""
import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCATIONS = HERE / "locations.json"

# PC4 points of Utrechtse Heuvelrug (CBS 1581) and its neighbour Rhenen (0340), copied from pc4.csv.
PC4_POINTS = {
    "3941": (52.0388, 5.3363),  # Doorn
    "3951": (52.0643, 5.3714),  # Maarn
    "3953": (52.0553, 5.4119),  # Maarsbergen
    "3956": (52.0140, 5.4275),  # Leersum
    "3958": (52.0022, 5.4595),  # Amerongen
    "3959": (52.0314, 5.4985),  # Overberg
    "3971": (52.0571, 5.2876),  # Driebergen-Rijsenburg
    "3972": (52.0499, 5.2750),  # Driebergen-Rijsenburg
    "3911": (51.9658, 5.5702),  # Rhenen
    "3912": (51.9658, 5.5645),  # Rhenen
    "3921": (51.9861, 5.5014),  # Elst (Rhenen)
    "3922": (51.9893, 5.4857),  # Elst (Rhenen)
}
MAX_OFFSET = 0.0055


def offset(key):
    """Return a deterministic (dlat, dlon) in [-MAX_OFFSET, MAX_OFFSET] for a key."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    a = int.from_bytes(digest[0:4], "big") / 0xFFFFFFFF
    b = int.from_bytes(digest[4:8], "big") / 0xFFFFFFFF
    return (a * 2 - 1) * MAX_OFFSET, (b * 2 - 1) * MAX_OFFSET


def coordinates(key, postal_code):
    """Return (lat, lon) for a location key and its postcode (PC4 or PC6)."""
    lat, lon = PC4_POINTS[postal_code.replace(" ", "")[:4]]
    dlat, dlon = offset(key)
    return round(lat + dlat, 5), round(lon + dlon, 5)


def compare_with_gazetteer(path):
    """Return a list of differences between PC4_POINTS and a pc4.csv file."""
    problems = []
    with open(path, newline="", encoding="utf-8") as handle:
        rows = {row["postcode4"]: row for row in csv.DictReader(handle)}
    for pc4, (lat, lon) in PC4_POINTS.items():
        row = rows.get(pc4)
        if row is None:
            problems.append(f"{pc4}: missing in {path}")
        elif (float(row["lat"]), float(row["lon"])) != (lat, lon):
            problems.append(f"{pc4}: {lat},{lon} here but {row['lat']},{row['lon']} in {path}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, do not write")
    parser.add_argument("--pc4", help="path to pc4.csv to compare the PC4 points with")
    args = parser.parse_args(argv)

    problems = compare_with_gazetteer(args.pc4) if args.pc4 else []
    locations = json.loads(LOCATIONS.read_text(encoding="utf-8"))
    for location in locations:
        lat, lon = coordinates(location["key"], location["postal_code"])
        if (location.get("lat"), location.get("lon")) != (lat, lon):
            problems.append(f"{location['key']}: expected {lat},{lon}")
            location["lat"], location["lon"] = lat, lon
    if args.check:
        print("\n".join(problems) or "ok")
        return 1 if problems else 0
    LOCATIONS.write_text(json.dumps(locations, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(locations)} locations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
