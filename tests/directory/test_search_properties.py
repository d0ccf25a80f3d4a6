"""Property test: no text a resident can type breaks the results page or reaches it unescaped."""
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE = st.text(alphabet=st.sampled_from(list("<>\"'&/\\;()*~^:[]{}%= scriptimgonerale0123456789\u0000\u200b🙂")),
                  max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE, where=HOSTILE)
def test_any_typed_text_gives_a_page_and_is_escaped(demo_client, text, where):
    # Sentinels around the typed text: "<i" alone would also match the page's own "<input".
    text, where = f"xq{text}qx", f"xq{where}qx"
    response = demo_client.get("/zoeken", query_string={"q": text, "waar": where})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for typed in (text, where):
        if re.search(r"<[a-z]", typed):
            assert typed not in body, "typed markup must be escaped"
