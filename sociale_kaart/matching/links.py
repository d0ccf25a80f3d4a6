"""Signed, time-limited tokens for links in matching e-mails (issue #4).

One salt per purpose, so a token made for one purpose never works for another:
- "match-link": the volunteer accepts or declines an offered match (payload {"m": match_id, "v": volunteer_id});
- "feedback-link": "Is het doorgegaan?" after the date (payload {"m": match_id, "r": role});
- "request-confirm": a requester confirms their e-mail address.
The signing itself is the accounts package's (accounts.tokens.sign / unsign).
"""

from ..accounts import tokens

PURPOSES = ("match-link", "feedback-link", "request-confirm")

# How long the links in the e-mails work, in seconds.
MATCH_LINK_MAX_AGE = 14 * 24 * 3600
FEEDBACK_LINK_MAX_AGE = 60 * 24 * 3600
REQUEST_CONFIRM_MAX_AGE = 7 * 24 * 3600


def _salt(purpose):
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return f"matching-{purpose}"


def make_token(purpose, payload):
    """Return a URL-safe signed token for a purpose."""
    return tokens.sign(_salt(purpose), payload)


def read_token(purpose, token, max_age, now=None):
    """Return the payload of a valid token younger than max_age seconds, else None."""
    return tokens.unsign(_salt(purpose), token, max_age, now)
