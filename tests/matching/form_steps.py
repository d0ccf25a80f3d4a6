"""Walk the public help request form in steps (issue #14) with a test client, as a browser without JavaScript would."""

from sociale_kaart.matching.forms import STEPS, step_fields
from tests.workspace.helpers import post

CHECK_URL = "/hulp-vragen/stap/controleren"


def step_url(name):
    """Return the URL of a step of the form."""
    return "/hulp-vragen" if name == "wat" else f"/hulp-vragen/stap/{name}"


def as_answers(data):
    """Return form data as {name: [values]} (how drafts and step_fields see it)."""
    return {name: value if isinstance(value, list) else [value] for name, value in data.items()}


def post_step(client, app, name, data, **extra):
    """POST one step with the fields it asks, taken from data (a field left out of data is left empty)."""
    fields = step_fields(name, as_answers(data))
    return post(client, app, step_url(name), {**{f: data[f] for f in fields if f in data}, **extra})


def send_in_steps(client, app, data, url=None):
    """Fill in every step from data and send on the check page.

    Returns the first step's answer that is not a 303 to the next step (an error page), else the
    answer of sending. url: the first step's address (to pass ?taak=...).
    """
    for step in STEPS[:-1]:
        if url is not None and step.name == "wat":
            fields = step_fields("wat", as_answers(data))
            response = post(client, app, url, {f: data[f] for f in fields if f in data})
        else:
            response = post_step(client, app, step.name, data)
        if response.status_code != 303:
            return response
    return post(client, app, CHECK_URL, {})
