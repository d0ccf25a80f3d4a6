"""Fixed vocabularies, and languages beyond our list that an HSDS import brings (issue #18)."""

import pytest
from flask_babel import force_locale

from sociale_kaart.directory import vocabularies


@pytest.mark.parametrize(
    "text, code",
    [
        ("nl", "nl"),
        ("NL-Gebaren", "nl-gebaren"),
        ("ur", "ur"),
        ("SO", "so"),
        ("en-gb", "en-GB"),
        ("en_GB", "en-GB"),
        ("xx", None),
        ("", None),
        (None, None),
    ],
)
def test_a_language_code_is_one_of_ours_or_one_babel_knows(text, code):
    assert vocabularies.language_code(text) == code


@pytest.mark.parametrize("locale, somali, dutch", [("nl", "Somalisch", "Nederlands"), ("en", "Somali", "Dutch")])
def test_a_language_beyond_our_list_is_labelled_by_babel_in_the_users_language(app, locale, somali, dutch):
    with force_locale(locale):
        assert str(vocabularies.label(vocabularies.LANGUAGES, "so")) == somali
        assert str(vocabularies.label(vocabularies.LANGUAGES, "nl")) == dutch
        assert vocabularies.label(vocabularies.LANGUAGES, "xx") == "xx"
        labels = vocabularies.language_labels()
    assert list(labels)[: len(vocabularies.LANGUAGES)] == vocabularies.codes(vocabularies.LANGUAGES)
    assert labels["so"] == somali


def test_other_vocabularies_do_not_borrow_babels_language_names(app):
    with force_locale("nl"):
        assert vocabularies.label(vocabularies.MODES, "so") == "so"
