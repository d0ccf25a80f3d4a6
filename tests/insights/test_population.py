"""Population context (issue #15): `flask insights import-population FILE` reads a CSV in the column layout of CBS
"Kerncijfers wijken en buurten". The figures below are made up for the tests; only the layout is CBS's."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart.errors import ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.insights import population, services
from sociale_kaart.insights.models import AreaPopulation
from sociale_kaart.insights.periods import Period
from tests.builders import make_user
from tests.insights.builders import asked, helper, months_ago, signal
from tests.matching.factories import area, load_areas

# As the cbsodata package gives it: the name in WijkenEnBuurten, the code in Codering_3 (made-up figures).
NAMED = (
    (
        "ID,WijkenEnBuurten,Gemeentenaam_1,SoortRegio_2,Codering_3,IndelingswijzigingWijkenEnBuurten_4,"
        "AantalInwoners_5,k_65JaarOfOuder_12,k_75JaarOfOuder_13,HuishoudensTotaal_28,Eenpersoonshuishoudens_29,"
        "Perioden\n"
    )
    + """1,Utrechtse Heuvelrug,Utrechtse Heuvelrug,Gemeente,GM1581,1,50000,13000,6000,22000,7000,2024JJ00
2,Wijk 00 Driebergen-Rijsenburg,Utrechtse Heuvelrug,Wijk,WK158100,1,19000,5000,2300,8500,2900,2024JJ00
3,Wijk 01 Doorn,Utrechtse Heuvelrug,Wijk,WK158101,1,10000,3000,1400,4600,1600,2024JJ00
4,Doorn,Utrechtse Heuvelrug,Buurt,BU15810101,1,4000,1200,600,1900,700,2024JJ00
5,Wijk 00 Zeist,Zeist,Wijk,WK035500,1,20000,5000,2000,9000,3000,2024JJ00
"""
)

# As the OData TypedDataSet gives it: codes (padded) in WijkenEnBuurten, ";" between columns, "." for a secret.
CODED = (
    "\ufeffID;WijkenEnBuurten;SoortRegio_2;AantalInwoners_5;k_65JaarOfOuder_12;Eenpersoonshuishoudens_30\n"
    "1;WK158101  ;Wijk     ;10200;3100;1650\n"
    "2;BU15810201;Buurt     ;3000;700;.\n"
    "3;BU15810202;Buurt     ;2500;600;400\n"
)


@pytest.fixture
def areas(app):
    return load_areas()


def _rows():
    return {(row.area.code if row.area else None): row for row in db.session.scalars(select(AreaPopulation))}


def test_wijken_are_matched_to_areas_by_name_and_the_municipality_by_its_code(areas):
    result = population.import_population(NAMED.encode())
    rows = _rows()
    assert set(rows) == {None, "doorn", "driebergen_rijsenburg"}
    doorn = rows["doorn"]
    assert (doorn.residents, doorn.aged_65_plus, doorn.aged_75_plus, doorn.single_person_households) == (
        10000,
        3000,
        1400,
        1600,
    )
    assert (doorn.region_codes, doorn.year) == ("WK158101", 2024)
    assert rows[None].residents == 50000
    assert result.source == "CBS, Kerncijfers wijken en buurten 2024"
    assert [(code, name) for _line, code, name in result.skipped] == [
        ("BU15810101", "Doorn"),
        ("WK035500", "Wijk 00 Zeist"),
    ]


def test_regions_can_be_mapped_by_hand_and_add_up(areas):
    population.import_population(
        CODED.encode(),
        ["WK158101=doorn", "BU15810201=leersum", "bu15810202 = leersum"],
        source="CBS (CC BY 4.0), bewerkt",
    )
    rows = _rows()
    assert (rows["doorn"].residents, rows["doorn"].single_person_households) == (10200, 1650)
    leersum = rows["leersum"]
    assert (leersum.residents, leersum.aged_65_plus, leersum.region_codes) == (5500, 1300, "BU15810201,BU15810202")
    assert leersum.single_person_households is None  # one region's figure is secret: no partial sum
    assert leersum.aged_75_plus is None  # not in this file
    assert leersum.source == "CBS (CC BY 4.0), bewerkt"


def test_importing_again_replaces_what_was_loaded(areas):
    population.import_population(NAMED.encode())
    population.import_population(CODED.encode(), ["WK158101=doorn"])
    assert set(_rows()) == {"doorn"}


@pytest.mark.parametrize(
    "data, mappings, field",
    [
        (b"naam,inwoners\nDoorn,10000\n", [], "file"),
        (NAMED.encode(), ["WK158101"], "map"),
        (NAMED.encode(), ["WK158101=nergenshuizen"], "map"),
        (CODED.encode(), [], "file"),  # nothing in it is one of our areas
        (b"", [], "file"),
    ],
)
def test_a_file_that_does_not_fit_is_refused_with_a_reason(areas, data, mappings, field):
    with pytest.raises(ValidationError) as refused:
        population.import_population(data, mappings)
    assert refused.value.field == field
    assert not _rows()


def test_the_command_loads_the_file_and_says_what_it_skipped(app, areas, tmp_path):
    path = tmp_path / "kerncijfers.csv"
    path.write_text(NAMED, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["insights", "import-population", str(path)])
    assert result.exit_code == 0, result.output
    assert "Doorn: 10000 residents" in result.output
    assert "whole municipality: 50000 residents" in result.output
    assert "skipped line 6: WK035500 Wijk 00 Zeist" in result.output
    refused = app.test_cli_runner().invoke(args=["insights", "import-population", str(path), "--map", "x=y"])
    assert refused.exit_code != 0 and "WK158101=doorn" in refused.output


def test_rates_per_thousand_residents_appear_when_the_figures_are_loaded(areas):
    policy = make_user(roles=("policy",))
    period = Period(months_ago(6), months_ago(0) - timedelta(days=1))
    assert "bevolking" not in services.area_analysis(policy, period).tables
    population.import_population(NAMED.encode())
    volunteer = helper("doorn")
    for number in range(5):
        helper("doorn")
        asked(period.start + timedelta(days=number), matched_after=1, volunteer=volunteer, status="done")
    table = services.area_analysis(policy, period).tables["bevolking"]
    assert table.columns == [
        "Inwoners",
        "65 jaar en ouder",
        "75 jaar en ouder",
        "Eenpersoonshuishoudens",
        "Hulpvragen per 1.000 inwoners",
        "Actieve vrijwilligers per 1.000 inwoners",
        "Signalen per 1.000 inwoners",
    ]
    row = next(row for row in table.rows if row.key == area("doorn").id)
    assert [services.figure_text(cell) for cell in row.cells] == [
        "10.000",
        "3.000",
        "1.400",
        "1.600",
        "0,5",
        "0,6",
        "0",
    ]
    for _ in range(7):
        signal(period.start + timedelta(days=3), ("loneliness", "money"))
    table = services.area_analysis(policy, period).tables["bevolking"]
    row = next(row for row in table.rows if row.key == area("doorn").id)
    assert services.figure_text(row.cells[-1]) == "0,7"  # 7 signals (not 14 themes) per 10,000 residents
    leersum = next(row for row in table.rows if row.key == area("leersum").id)
    assert [services.figure_text(cell) for cell in leersum.cells] == ["–", "–", "–", "–", "–", "–", "–"]
    total = next(row for row in table.rows if row.key == services.TOTAL)
    assert [services.figure_text(cell) for cell in total.cells][:1] == ["50.000"]  # the municipality's own row
    assert table.note == "Bron van de inwonersaantallen: CBS, Kerncijfers wijken en buurten 2024."
