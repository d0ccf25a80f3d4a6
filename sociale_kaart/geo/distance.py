"""Distances between points and boxes around them."""

import math

from geopy.distance import geodesic

# The shortest degree of latitude (at the equator) and the degree of longitude at the
# equator on WGS84, in km; a degree of longitude is never longer than the second times cos(lat).
_KM_PER_DEGREE_LATITUDE = 110.574
_KM_PER_DEGREE_LONGITUDE = 111.3195
# Keeps the box a little larger than the circle, so that rounding never cuts it.
_MARGIN = 1.01


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the geodesic distance in kilometres between two (lat, lon) points."""
    return geodesic(a, b).km


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """Return (min_lat, max_lat, min_lon, max_lon) of a box that contains the circle of km around a point."""
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ValueError(f"not a point: {lat}, {lon}")
    if not km >= 0 or math.isinf(km):
        raise ValueError(f"not a radius: {km}")
    delta_lat = km * _MARGIN / _KM_PER_DEGREE_LATITUDE
    min_lat, max_lat = max(-90.0, lat - delta_lat), min(90.0, lat + delta_lat)
    # Degrees of longitude are shortest at the edge of the box nearest to a pole.
    cos_far = math.cos(math.radians(max(abs(min_lat), abs(max_lat))))
    if cos_far <= 1e-9:
        return min_lat, max_lat, -180.0, 180.0
    delta_lon = km * _MARGIN / (_KM_PER_DEGREE_LONGITUDE * cos_far)
    if lon - delta_lon < -180 or lon + delta_lon > 180:
        # The circle crosses the antimeridian; a box without wrap-around must span all longitudes.
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, lon - delta_lon, lon + delta_lon
