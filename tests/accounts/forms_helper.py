"""Helpers for posting forms the way a browser does: with the CSRF token from the page."""

import re

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_token(client, url):
    """Return the CSRF token of the form on a page (GET)."""
    html = client.get(url).get_data(as_text=True)
    match = TOKEN.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url, data, page=None, **kwargs):
    """POST data with the CSRF token taken from `page` (default: the same URL)."""
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data}, **kwargs)


def links(text):
    """Return the http(s) links in an e-mail body."""
    return re.findall(r"https?://\S+", text)
