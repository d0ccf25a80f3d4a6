"""Property test: no text a resident can type breaks the results page or reaches it unescaped."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE = st.text(
    alphabet=st.sampled_from(list("<>\"'&/\\;()*~^:[]{}%= scriptimgonerale0123456789\u0000\u200b🙂")), max_size=60
)


_PAGE = {}


def _empty_search_page(client):
    if "body" not in _PAGE:
        _PAGE["body"] = client.get("/zoeken").get_data(as_text=True)
    return _PAGE["body"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE, where=HOSTILE)
def test_any_typed_text_gives_a_page_and_is_escaped(demo_client, text, where):
    # Sentinels around the typed text: "<i" alone would also match the page's own "<input".
    text, where = f"xq{text}qx", f"xq{where}qx"
    response = demo_client.get("/zoeken", query_string={"q": text, "waar": where})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    page_itself = _empty_search_page(demo_client)
    for typed in (text, where):
        # "<i" is in every page (<input>): only typed text the page does not hold by itself counts
        if re.search(r"<[a-z]", typed) and typed not in page_itself:
            assert typed not in body, "typed markup must be escaped"
