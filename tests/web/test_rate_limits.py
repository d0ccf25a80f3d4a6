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
