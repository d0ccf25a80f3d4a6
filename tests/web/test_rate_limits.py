"""Public search is rate-limited per IP and answers with a friendly Dutch page."""

from sociale_kaart import clock
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


def test_only_the_api_and_a_429_tell_the_limit_and_when_to_try_again(tmp_path):
    """X-RateLimit-* on the API's answers, Retry-After on any 429; a page a browser shows reads the store once (#17)."""
    app = make_app(tmp_path, name="ratelimit_headers", RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    page = client.get("/zoeken", query_string={"q": "hulp"})
    assert page.status_code == 200
    assert not [name for name in page.headers.keys() if name.lower().startswith(("x-ratelimit", "retry-after"))]
    client.get("/zoeken", query_string={"q": "hulp"})
    refused = client.get("/zoeken", query_string={"q": "hulp"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert refused.headers["X-RateLimit-Remaining"] == "0"

    answers = [
        client.get("/api/hsds/services", query_string={"search": "hulp"}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
        for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert [answer.headers["X-RateLimit-Limit"] for answer in answers] == ["2", "2", "2"]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["1", "0", "0"]
    assert "Retry-After" not in answers[0].headers
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 61
    assert 0 < int(answers[0].headers["X-RateLimit-Reset"]) - clock.store_seconds() <= 61  # an epoch second
    with app.app_context():
        db.engine.dispose()
