"""Distances between points and boxes around them."""

import math

from geopy.distance import ELLIPSOIDS, geodesic

# The shortest degree of latitude (at the equator) and the degree of longitude at the
# equator on WGS84, in km; a degree of longitude is never longer than the second times cos(lat).
_KM_PER_DEGREE_LATITUDE = 110.574
_KM_PER_DEGREE_LONGITUDE = 111.3195
# Keeps the box a little larger than the circle, so that rounding never cuts it.
_MARGIN = 1.01


_AXIS_KM, _, _FLATTENING = ELLIPSOIDS["WGS-84"]
_ECCENTRICITY2 = _FLATTENING * (2 - _FLATTENING)
# Within this many degrees the local ellipsoid radii give the geodesic distance to within
# 0.15 m (measured against geopy's geodesic over the Netherlands); farther, geodesic is used.
_LOCAL_DEGREES = 0.3


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the distance in kilometres between two (lat, lon) points on the WGS84 ellipsoid."""
    if abs(a[0] - b[0]) > _LOCAL_DEGREES or abs(a[1] - b[1]) > _LOCAL_DEGREES:
        return geodesic(a, b).km
    # Search ranks thousands of points per query: geopy's geodesic costs ~0.25 ms a pair on this
    # machine, the radii of curvature at the mean latitude ~1.5 µs, with the same result (issue #2).
    return local_distance_km(a[0], a[1], b[0], b[1])


def local_distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the distance in km by the ellipsoid's radii at the mean latitude (fast; exact to 0.15 m within 0.3°).

    Farther apart it slowly drifts from the geodesic; distance_km() switches to geopy there. Matching
    ranks with this one everywhere (issue #13), so a volunteer's reach is one formula in the index and the filter.
    """
    latitude = math.radians((lat1 + lat2) / 2)
    w = 1 - _ECCENTRICITY2 * math.sin(latitude) ** 2
    north = math.radians(lat2 - lat1) * _AXIS_KM * (1 - _ECCENTRICITY2) / w**1.5
    east = math.radians(lon2 - lon1) * _AXIS_KM / math.sqrt(w) * math.cos(latitude)
    return math.hypot(north, east)


def km_per_degree(latitude: float) -> tuple[float, float]:
    """Return the km of one degree of latitude and of longitude at a latitude (local_distance_km's radii)."""
    radians = math.radians(latitude)
    w = 1 - _ECCENTRICITY2 * math.sin(radians) ** 2
    one_degree = math.radians(1)
    return (
        one_degree * _AXIS_KM * (1 - _ECCENTRICITY2) / w**1.5,
        one_degree * _AXIS_KM / math.sqrt(w) * math.cos(radians),
    )


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
