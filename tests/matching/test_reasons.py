"""Ranking reasons worded with gettext when shown, stored as codes (issue #13)."""

import importlib.util
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale

from sociale_kaart.matching import reasons
from sociale_kaart.matching.ranking import Candidate, Reason, check
from tests.matching.test_ranking import make_task, make_volunteer, series

EXAMPLE = dict(
    task=dict(windows=series()),
    volunteer=dict(history={"req-1": "good"}, absences=((date(2026, 3, 17), date(2026, 3, 17)),)),
)
EXAMPLE_NL = (
    "2,1 km per fiets (max 5) · beschikbaar di-middag, 7 van 8 weken · heeft geldige VOG · "
    "hielp eerder bij deze aanvrager"
)


@pytest.fixture
def page(app):
    """A request context: reasons are worded in its language (Dutch unless forced)."""
    with app.test_request_context():
        yield


def example():
    return check(make_task(**EXAMPLE["task"]), make_volunteer(**EXAMPLE["volunteer"]))


def test_explain_the_issue_example(page):
    assert reasons.explain(example().reasons) == EXAMPLE_NL


def test_explain_in_english_words_the_numbers_and_vocabulary_the_english_way(page):
    with force_locale("en"):
        distance = reasons.reason_text(Reason("distance", {"km": 2.1, "mode": "bike", "max": 5}))

    assert distance == "2.1 km by bike (max 5)"


@pytest.mark.parametrize(
    ("reason", "nl"),
    [
        (Reason("distance", {"km": 0.5, "mode": "walk", "max": 1.5}), "0,5 km lopend (max 1,5)"),
        (Reason("distance", {"km": 12.0, "mode": "car", "max": 25}), "12,0 km met de auto (max 25)"),
        (
            Reason("available", {"cells": ((0, 0), (0, 1)), "covered": 1, "total": 1}),
            "beschikbaar ma-ochtend en ma-middag",
        ),
        (Reason("available", {"cells": ((6, 2),), "covered": 3, "total": 4}), "beschikbaar zo-avond, 3 van 4 weken"),
        (Reason("vog", {"valid_until": date(2027, 1, 1)}), "heeft geldige VOG"),
        (Reason("helped_before"), "hielp eerder bij deze aanvrager"),
        (Reason("same_volunteer"), "gevraagd: dezelfde vrijwilliger"),
        (Reason("helped_earlier"), "hielp al eens bij deze aanvrager"),
        (Reason("language", {"language": "tr"}), "spreekt de gevraagde taal"),
        (Reason("skills", {"matched": 1, "wanted": 2}), "vaardigheden: 1 van 2 gevraagd"),
        (Reason("new"), "nieuw, nog geen taak"),
        (Reason("load", {"tasks": 1}), "laatste 4 weken: 1 taak"),
        (Reason("load", {"tasks": 3}), "laatste 4 weken: 3 taken"),
    ],
)
def test_each_reason_in_words_from_the_code_and_from_its_stored_record(page, reason, nl):
    stored = json.loads(json.dumps(reasons.record(reason)))  # as the JSON column gives it back

    assert (reasons.reason_text(reason), reasons.reason_text(stored)) == (nl, nl)


@pytest.mark.parametrize(
    ("excluded", "expected"),
    [
        (
            Counter(too_far=22, not_available=11, vog=5, full=3),
            "41 uitgesloten: 22 te ver, 11 niet beschikbaar, 5 zonder geldige VOG, 3 vol deze week",
        ),
        (
            Counter(full=2, inactive=2, overlap=1, task_type=0),
            "5 uitgesloten: 2 niet actief, 2 vol deze week, 1 heeft dan al een taak",
        ),
        (Counter(language=1, task_type=3), "4 uitgesloten: 3 willen deze taak niet, 1 spreekt de taal niet"),
        (Counter(), ""),
        (Counter(vog=0), ""),
    ],
)
def test_explain_exclusions(page, excluded, expected):
    assert reasons.explain_exclusions(excluded) == expected


def test_a_breakdown_stores_codes_and_parameters_not_sentences():
    stored = reasons.breakdown(example())

    assert json.loads(json.dumps(stored)) == stored  # JSON as it is: dates and tuples made plain
    assert [record["code"] for record in stored["reasons"]] == ["distance", "available", "vog", "helped_before"]
    assert stored["reasons"][0] == {"code": "distance", "km": 2.1, "mode": "bike", "max": 5}
    assert "text" not in stored


def test_candidate_reasons_are_codes():
    candidate = Candidate(
        volunteer_id=1, score=50, distance_km=1.0, covered=1, total=1, components={}, reasons=[Reason("new")]
    )

    assert reasons.breakdown(candidate)["reasons"] == [{"code": "new"}]


# --- the migration that turned stored Dutch reasons into codes (0013) ---------------------------------


def _migration():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0013_ranking_reason_codes.py"
    spec = importlib.util.spec_from_file_location("reason_codes_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # a broker's suggestion: pairs and a sentence
        (
            {
                "score": 80,
                "reasons": [["distance", {"km": 2.1, "mode": "bike", "max": 5}], ["new", {}]],
                "text": "2,1 km per fiets (max 5) · nieuw, nog geen taak",
            },
            {"score": 80, "reasons": [{"code": "distance", "km": 2.1, "mode": "bike", "max": 5}, {"code": "new"}]},
        ),
        # a volunteer's interest: only the sentence
        (
            {"score": 70, "covered": 7, "total": 8, "text": EXAMPLE_NL},
            {
                "score": 70,
                "covered": 7,
                "total": 8,
                "reasons": [
                    {"code": "distance", "km": 2.1, "mode": "bike", "max": 5},
                    {"code": "available", "cells": [[1, 1]], "covered": 7, "total": 8},
                    {"code": "vog"},
                    {"code": "helped_before"},
                ],
            },
        ),
        (
            {
                "covered": 1,
                "total": 1,
                "text": "0,5 km lopend (max 1,5) · beschikbaar ma-ochtend en ma-middag · "
                "vaardigheden: 1 van 2 gevraagd · laatste 4 weken: 1 taak",
            },
            {
                "covered": 1,
                "total": 1,
                "reasons": [
                    {"code": "distance", "km": 0.5, "mode": "walk", "max": 1.5},
                    {"code": "available", "cells": [[0, 0], [0, 1]], "covered": 1, "total": 1},
                    {"code": "skills", "matched": 1, "wanted": 2},
                    {"code": "load", "tasks": 1},
                ],
            },
        ),
        # a part it cannot read: the words stay
        ({"text": "2,1 km per fiets (max 5) · iets anders"}, {"text": "2,1 km per fiets (max 5) · iets anders"}),
        ({}, {}),
        ({"text": ""}, {}),
    ],
)
def test_migration_turns_stored_reasons_into_codes(page, before, after):
    migration = _migration()

    upgraded = migration.upgraded(before)

    assert upgraded == after
    if "reasons" in upgraded and "text" in before:
        assert reasons.explain(upgraded["reasons"]) == before["text"]  # the same words, now from codes


def test_migration_downgrade_gives_pairs_back():
    migration = _migration()

    assert migration.downgraded({"reasons": [{"code": "load", "tasks": 2}]}) == {
        "reasons": [["load", {"tasks": 2}]],
        "text": "",
    }
