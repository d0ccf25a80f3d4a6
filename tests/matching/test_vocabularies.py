"""The table of search words and categories that point to a volunteer task (issue #11)."""

import pytest

from sociale_kaart.matching import vocabularies


@pytest.mark.parametrize(
    "text, code",
    [
        ("hulp bij boodschappen", "boodschappen"),
        ("Boodschappenhulp", "boodschappen"),
        ("vervoer naar het ziekenhuis", "vervoer"),
        ("iemand voor klusjes", "klusjes"),
        ("tuinonderhoud", "tuin"),
        ("oppas voor mijn vader", "respijt"),
        ("ik ben eenzaam", "gezelschap"),
        ("iemand die met mijn moeder wandelt", "bewegen"),
        ("schuldhulp", None),
        ("", None),
        (None, None),
    ],
)
def test_search_words_point_to_a_task(text, code):
    task = vocabularies.task_type_for(text)
    assert (task.code if task else None) == code


def test_the_text_wins_over_the_categories_and_categories_count_in_order():
    assert vocabularies.task_type_for("boodschappen", ["respijtzorg"]).code == "boodschappen"
    assert vocabularies.task_type_for("logeren", ["geld_schulden", "vervoer", "respijtzorg"]).code == "vervoer"
    assert vocabularies.task_type_for("", ["geld_schulden"]) is None


def test_every_hint_names_a_known_task_type_and_category():
    from sociale_kaart.directory.vocabularies import CATEGORIES

    categories = {term.code for term in CATEGORIES}
    for code, hint in vocabularies.TASK_HINTS.items():
        assert code in vocabularies.TASK_TYPES
        assert set(hint["categories"]) <= categories and hint["words"]
