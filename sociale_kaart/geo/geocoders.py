"""Geocoders: the bundled offline gazetteer, an online one through geopy, and a fake for tests."""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Collection, Mapping
from typing import Any, Protocol, runtime_checkable

from geopy.exc import GeopyError
from geopy.geocoders.base import Geocoder as GeopyGeocoder

from .distance import distance_km
from .gazetteer import MAX_SUGGESTIONS, Place, UnknownLocation, check_query, find_postcode, shared_gazetteer

log = logging.getLogger(__name__)

# An online result this far from every known PC4 is outside the Netherlands.
MAX_KM_FROM_POSTCODE = 25.0

# Every backend takes the same options, so config can pass them all; each uses its own.
_OPTIONS = frozenset(
    {"data_dir", "municipality_code", "user_agent", "domain", "scheme", "timeout", "country_codes", "places"}
)


@runtime_checkable
class Geocoder(Protocol):
    """Turn what a user typed into a Place, and suggest what to type."""

    def resolve(self, text: str, prefer: Collection[str] | None = None) -> Place:
        """Return the place a text stands for, or raise UnknownLocation.

        `prefer`: the CBS codes of the municipalities whose places win a tie (a region's, issue #20);
        None: the geocoder's own municipality.
        """

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS, prefer: Collection[str] | None = None) -> list[str]:
        """Return labels that complete or correct a text (`prefer` as for resolve)."""


class OfflineGeocoder:
    """Geocode from the bundled GeoNames CSVs, preferring places in one municipality."""

    def __init__(self, data_dir: str | None = None, municipality_code: str | None = None):
        self.gazetteer = shared_gazetteer(data_dir)
        self.municipality_code = municipality_code or None

    def load(self) -> None:
        """Read the CSVs now instead of on the first lookup."""
        self.gazetteer.load()

    def resolve(self, text: str, prefer: Collection[str] | None = None) -> Place:
        """Return the place a postcode, place name or municipality name stands for."""
        return self.gazetteer.resolve(text, prefer=prefer or self.municipality_code)

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS, prefer: Collection[str] | None = None) -> list[str]:
        """Return labels that complete or correct a partly typed location."""
        return self.gazetteer.suggest(text, limit, prefer=prefer or self.municipality_code)

    def postcodes_of_municipality(self, code: str) -> list[dict]:
        """Return the PC4 areas of a municipality as dicts with postcode4, place, lat and lon."""
        return self.gazetteer.postcodes_of_municipality(code)

    def places_of_municipality(self, code: str) -> list[Place]:
        """Return the current places of a municipality, alphabetically."""
        return self.gazetteer.places_of_municipality(code)

    def nearest_postcode(self, lat: float, lon: float) -> dict | None:
        """Return the PC4 area nearest to a point, with its municipality."""
        return self.gazetteer.nearest_postcode(lat, lon)


class OnlineGeocoder:
    """Geocode offline first and ask a geopy geocoder only for what the CSVs do not know."""

    def __init__(
        self,
        geopy_geocoder: GeopyGeocoder,
        fallback: OfflineGeocoder | None = None,
        country_codes: str = "nl",
        timeout: float = 3,
    ):
        self.geopy_geocoder = geopy_geocoder
        self.fallback = fallback if fallback is not None else OfflineGeocoder()
        self.country_codes = country_codes
        self.timeout = timeout

    def resolve(self, text: str, prefer: Collection[str] | None = None) -> Place:
        """Return the place a text stands for, offline if possible; raise UnknownLocation otherwise."""
        try:
            return self.fallback.resolve(text, prefer)
        except UnknownLocation as error:
            if error.reason not in ("unknown_place", "unknown_postcode"):
                raise
            offline_error = error
        place = self._geocode_online(offline_error.query)
        if place is None:
            raise offline_error
        return place

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS, prefer: Collection[str] | None = None) -> list[str]:
        """Return offline suggestions; public Nominatim forbids autocomplete use."""
        return self.fallback.suggest(text, limit, prefer)

    def postcodes_of_municipality(self, code: str) -> list[dict]:
        """Return the PC4 areas of a municipality from the offline data."""
        return self.fallback.postcodes_of_municipality(code)

    def places_of_municipality(self, code: str) -> list[Place]:
        """Return the places of a municipality from the offline data."""
        return self.fallback.places_of_municipality(code)

    def nearest_postcode(self, lat: float, lon: float) -> dict | None:
        """Return the PC4 area nearest to a point from the offline data."""
        return self.fallback.nearest_postcode(lat, lon)

    def _geocode_online(self, query: str) -> Place | None:
        """Return the online geocoder's answer as a Place in the Netherlands, or None."""
        options: dict[str, object] = {"exactly_one": True, "timeout": self.timeout}
        if self.country_codes and _accepts(self.geopy_geocoder.geocode, "country_codes"):
            options["country_codes"] = self.country_codes
        try:
            location = self.geopy_geocoder.geocode(query, **options)
        except (GeopyError, OSError, ValueError) as error:
            # The user gets the offline suggestions instead; the query stays out of the log.
            log.warning("online geocoder failed: %s", type(error).__name__)
            return None
        if isinstance(location, (list, tuple)):
            location = location[0] if location else None
        try:
            lat, lon = float(location.latitude), float(location.longitude)
        except (AttributeError, TypeError, ValueError):
            return None
        return self._place_at(query, lat, lon)

    def _place_at(self, query: str, lat: float, lon: float) -> Place | None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        nearest = self.fallback.nearest_postcode(lat, lon)
        if nearest is None or distance_km((lat, lon), (nearest["lat"], nearest["lon"])) > MAX_KM_FROM_POSTCODE:
            return None
        postcode = find_postcode(query)
        return Place(
            label=query,
            lat=lat,
            lon=lon,
            kind="postcode" if postcode else "place",
            postcode4=postcode[0] if postcode else nearest["postcode4"],
            place=nearest["place"],
            municipality=nearest["municipality"],
            municipality_code=nearest["municipality_code"],
        )


class FakeGeocoder:
    """Geocode from a fixed mapping of lowercase text to Place, for tests."""

    def __init__(self, places: Mapping[str, Place] | None = None):
        self.places = {text.strip().lower(): place for text, place in (places or {}).items()}

    def resolve(self, text: str, prefer: Collection[str] | None = None) -> Place:
        """Return the place mapped to a text, or raise UnknownLocation (one place a text: `prefer` changes nothing)."""
        stripped = check_query(text)
        place = self.places.get(stripped.lower())
        if place is None:
            raise UnknownLocation("unknown_place", stripped, self.suggest(stripped))
        return place

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS, prefer: Collection[str] | None = None) -> list[str]:
        """Return the labels of mapped texts that start with, or look like, a text."""
        try:
            key = check_query(text).lower()
        except UnknownLocation:
            return []
        if limit < 1:
            return []
        texts = [t for t in sorted(self.places) if t.startswith(key)]
        texts = texts or difflib.get_close_matches(key, list(self.places), n=limit)
        return list(dict.fromkeys(self.places[t].label for t in texts))[:limit]

    def postcodes_of_municipality(self, code: str) -> list[dict]:
        """Return the mapped postcode places of a municipality as dicts."""
        postcodes = {
            p.postcode4: {"postcode4": p.postcode4, "place": p.place, "lat": p.lat, "lon": p.lon}
            for p in self.places.values()
            if p.kind == "postcode" and p.postcode4 is not None and p.municipality_code == code
        }
        return [postcodes[postcode4] for postcode4 in sorted(postcodes)]

    def places_of_municipality(self, code: str) -> list[Place]:
        """Return the mapped places of a municipality, alphabetically."""
        places = {p for p in self.places.values() if p.kind == "place" and p.municipality_code == code}
        return sorted(places, key=lambda p: p.label.casefold())


def create_geocoder(name: str = "offline", **options: Any) -> Geocoder:
    """Return the geocoder a config names: "offline", "nominatim" or "fake"."""
    unknown = set(options) - _OPTIONS
    if unknown:
        raise TypeError(f"unknown geocoder options: {', '.join(sorted(unknown))}")
    name = (name or "offline").strip().lower()
    if name == "offline":
        return OfflineGeocoder(options.get("data_dir"), options.get("municipality_code"))
    if name == "nominatim":
        return _create_nominatim(options)
    if name == "fake":
        return FakeGeocoder(options.get("places"))
    raise ValueError(f"unknown geocoder {name!r}; choose offline, nominatim or fake")


def _create_nominatim(options: dict) -> OnlineGeocoder:
    if not options.get("user_agent"):
        # The Nominatim usage policy requires an agent that identifies the app.
        raise ValueError("the nominatim geocoder needs a user_agent")
    # Imported here: geopy.geocoders loads every geocoder geopy has.
    from geopy.geocoders import Nominatim

    settings = {"user_agent": options["user_agent"]}
    settings.update({key: options[key] for key in ("domain", "scheme") if options.get(key)})
    return OnlineGeocoder(
        Nominatim(**settings),
        fallback=OfflineGeocoder(options.get("data_dir"), options.get("municipality_code")),
        country_codes=options.get("country_codes", "nl"),
        timeout=options.get("timeout", 3),
    )


def _accepts(function, parameter: str) -> bool:
    """Tell whether a callable takes a keyword argument."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == parameter or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
