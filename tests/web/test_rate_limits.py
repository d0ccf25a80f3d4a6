"""Public search is rate-limited per IP and answers with a friendly Dutch page."""

from sociale_kaart.extensions import db
from tests.conftest import make_app


def test_search_is_rate_limited_with_a_friendly_page(tmp_path):
    app = make_app(tmp_path, name="ratelimit", RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="5 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    statuses = [client.get("/zoeken", query_string={"q": "hulp"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    response = client.get("/zoeken", query_string={"q": "hulp"})
    assert "Even wachten" in response.get_data(as_text=True)
    other_ip = client.get("/zoeken", query_string={"q": "hulp"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_ip.status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_a_429_tells_when_to_try_again_and_other_answers_read_the_store_once(tmp_path):
    """Retry-After on a 429 of a page and of the API; no X-RateLimit-*, two more reads of the store each (#17)."""
    app = make_app(tmp_path, name="ratelimit_headers", RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    for path, query in (("/zoeken", {"q": "hulp"}), ("/api/hsds/services", {"search": "hulp"})):
        answers = [client.get(path, query_string=query, environ_base={"REMOTE_ADDR": path}) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429], path
        for answer in answers[:2]:
            assert not [
                name for name in answer.headers.keys() if name.lower().startswith(("x-ratelimit", "retry-after"))
            ]
        assert 1 <= int(answers[2].headers["Retry-After"]) <= 61, path
        assert not [name for name in answers[2].headers.keys() if name.lower().startswith("x-ratelimit")]
    with app.app_context():
        db.engine.dispose()
