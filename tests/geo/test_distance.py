import math
import random

import pytest
from geopy.distance import geodesic

from sociale_kaart.geo import bounding_box, distance_km, local_distance_km
from sociale_kaart.geo.distance import km_per_degree

DOORN_3941 = (52.0388, 5.3363)
LEERSUM_3956 = (52.014, 5.4275)
ZEIST_3701 = (52.0865, 5.2438)


@pytest.mark.parametrize(
    "a, b, km",
    [
        # The PC4 points of Doorn and Leersum; their village centres are 6.1 km apart.
        (DOORN_3941, LEERSUM_3956, 6.84),
        (DOORN_3941, ZEIST_3701, 8.27),
        ((0.0, 0.0), (0.0, 1.0), 111.32),
        ((0.0, 0.0), (1.0, 0.0), 110.57),
        (DOORN_3941, DOORN_3941, 0.0),
    ],
)
def test_distance_km_measures_along_the_ellipsoid(a, b, km):
    assert distance_km(a, b) == pytest.approx(km, abs=0.01)
    assert distance_km(b, a) == pytest.approx(distance_km(a, b))


def test_distance_km_between_doorn_and_leersum_is_about_seven_km():
    assert 6.5 < distance_km(DOORN_3941, LEERSUM_3956) < 8.0


CENTRES = [DOORN_3941, (0.0, 0.0), (-33.9, 18.4), (69.6, 18.9), (89.9, 0.0), (0.0, 179.99)]


@pytest.mark.parametrize("centre", CENTRES)
@pytest.mark.parametrize("km", [0.1, 5.0, 25.0, 300.0])
def test_bounding_box_contains_the_circle(centre, km):
    min_lat, max_lat, min_lon, max_lon = bounding_box(*centre, km)

    for bearing in range(0, 360, 5):
        point = geodesic(kilometers=km).destination(centre, bearing)
        assert min_lat <= point.latitude <= max_lat, bearing
        assert min_lon <= point.longitude <= max_lon, bearing


@pytest.mark.parametrize("km", [1.0, 10.0, 50.0])
def test_bounding_box_is_only_slightly_larger_than_the_circle(km):
    lat, lon = DOORN_3941
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)

    for edge in [(min_lat, lon), (max_lat, lon), (lat, min_lon), (lat, max_lon)]:
        assert km <= distance_km((lat, lon), edge) <= km * 1.03


def test_bounding_box_of_zero_km_is_the_point():
    assert bounding_box(*DOORN_3941, 0) == (52.0388, 52.0388, 5.3363, 5.3363)


@pytest.mark.parametrize("centre", [(89.99, 10.0), (0.0, 179.99), (0.0, -179.99)])
def test_bounding_box_spans_all_longitudes_at_a_pole_or_the_antimeridian(centre):
    assert bounding_box(*centre, 10)[2:] == (-180.0, 180.0)


@pytest.mark.parametrize(
    "lat, lon, km",
    [(52.0, 5.3, -1.0), (52.0, 5.3, math.nan), (52.0, 5.3, math.inf), (91.0, 5.3, 1.0), (52.0, 181.0, 1.0)],
)
def test_bounding_box_rejects_impossible_input(lat, lon, km):
    with pytest.raises(ValueError):
        bounding_box(lat, lon, km)


def test_distance_agrees_with_geopy_geodesic_within_centimetres_over_the_netherlands():
    rng = random.Random(2)
    for _ in range(2000):
        a = (rng.uniform(50.75, 53.5), rng.uniform(3.4, 7.2))
        b = (a[0] + rng.uniform(-0.5, 0.5), a[1] + rng.uniform(-0.5, 0.5))
        assert abs(distance_km(a, b) - geodesic(a, b).km) < 0.00015  # 15 cm


def test_far_distances_are_geopy_geodesic():
    amsterdam, maastricht = (52.37, 4.89), (50.85, 5.69)
    assert distance_km(amsterdam, maastricht) == geodesic(amsterdam, maastricht).km


# --- the fast local formula that matching ranks with (issue #13) -------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ((52.04, 5.35), (52.06, 5.35)),
        ((52.04, 5.35), (52.04, 5.60)),
        ((52.0, 5.0), (52.29, 5.29)),
        ((50.8, 3.4), (50.9, 3.6)),
        ((53.4, 7.1), (53.2, 6.9)),
        ((52.1, 5.1), (52.1, 5.1)),
    ],
)
def test_local_distance_km_is_the_geodesic_within_the_local_range(a, b):
    assert local_distance_km(*a, *b) == pytest.approx(geodesic(a, b).km, abs=0.0002)
    assert local_distance_km(*a, *b) == distance_km(a, b)


def test_km_per_degree_gives_local_distance_kms_radii():
    north, east = km_per_degree(52.0)

    assert local_distance_km(51.9, 5.0, 52.1, 5.0) == pytest.approx(0.2 * north, rel=1e-9)
    assert local_distance_km(52.0, 5.0, 52.0, 5.3) == pytest.approx(0.3 * east, rel=1e-9)
