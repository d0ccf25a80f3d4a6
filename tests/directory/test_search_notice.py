"""The results page says so when no result has all the words (#11): a relaxed match is never silent."""

NOTICE = "Geen aanbod past bij al uw woorden"


def test_results_with_only_some_of_the_words_carry_a_plain_dutch_notice(demo_client):
    html = demo_client.get("/zoeken", query_string={"q": "koffie dinosaurus"}).get_data(as_text=True)
    assert NOTICE in html and 'class="results"' in html


def test_results_with_every_word_carry_no_notice(demo_client):
    html = demo_client.get("/zoeken", query_string={"q": "hulp bij boodschappen"}).get_data(as_text=True)
    assert NOTICE not in html and 'class="results"' in html


def test_the_notice_is_english_on_the_english_pages(demo_client):
    demo_client.get("/taal/en?next=/")
    html = demo_client.get("/zoeken", query_string={"q": "coffee dinosaur"}).get_data(as_text=True)
    assert "None of the services matches all your words" in html
