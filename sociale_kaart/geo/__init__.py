"""Geocoding adapter: Dutch postcodes, places and municipalities, and distances between them."""

from .distance import bounding_box, distance_km, local_distance_km
from .gazetteer import POSTCODE_PATTERN, Place, UnknownLocation, normal_postcode, normalise_name, parse_postcode
from .geocoders import FakeGeocoder, Geocoder, OfflineGeocoder, OnlineGeocoder, create_geocoder

# The credit GeoNames' CC BY 4.0 licence asks for; see data/ATTRIBUTION.md.
ATTRIBUTION_NL = (
    "Geografische gegevens: © GeoNames (https://www.geonames.org), licentie CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/). Bewerkt: gefilterd en opgeschoond."
)
ATTRIBUTION_EN = "Geographic data © GeoNames (https://www.geonames.org), CC BY 4.0; filtered and cleaned."
ATTRIBUTION_URL = "https://www.geonames.org"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

__all__ = [
    "POSTCODE_PATTERN",
    "ATTRIBUTION_EN",
    "ATTRIBUTION_NL",
    "ATTRIBUTION_URL",
    "LICENSE_URL",
    "FakeGeocoder",
    "Geocoder",
    "OfflineGeocoder",
    "OnlineGeocoder",
    "Place",
    "UnknownLocation",
    "bounding_box",
    "create_geocoder",
    "distance_km",
    "local_distance_km",
    "normal_postcode",
    "normalise_name",
    "parse_postcode",
]
