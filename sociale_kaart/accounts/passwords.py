"""Password hashing (scrypt, Werkzeug's current default) and the password policy (issue #3)."""

from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

HASH_METHOD = "scrypt"
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt"
# zxcvbn's score runs 0 (guessed in under a thousand tries) to 4; 3 means about 10^8 guesses or more.
MIN_STRENGTH = 3
# zxcvbn slows down on very long input; the first 100 characters decide the score well enough.
STRENGTH_CHECKED_CHARS = 100


def hash_password(password):
    """Return a salted scrypt hash of a password."""
    return generate_password_hash(password, method=HASH_METHOD)


def verify_password(password_hash, password):
    """Return True when the password matches the hash (False for accounts without a password)."""
    return bool(password_hash) and check_password_hash(password_hash, password)


@lru_cache(maxsize=1)
def common_passwords():
    """Return the bundled set of common passwords (lower-case); see data/README.md."""
    with COMMON_PASSWORDS.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password_policy(password, email="", name=""):
    """Return the reasons (Dutch, translatable) why a password is too weak; empty when it is fine."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Kies een wachtwoord van minstens %(count)d tekens.", count=minimum))
    lowered = password.lower()
    hints = [part for part in [(email or "").split("@")[0], *(name or "").split()] if part]
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        problems.append(_("Dit wachtwoord wordt veel gebruikt en is makkelijk te raden. Kies een ander wachtwoord."))
    local_part = (email or "").split("@")[0].lower()
    if len(local_part) >= 3 and local_part in lowered:
        problems.append(_("Gebruik uw e-mailadres niet in uw wachtwoord."))
    name_parts = [part for part in (name or "").lower().split() if len(part) >= 4]
    if any(part in lowered for part in name_parts):
        problems.append(_("Gebruik uw naam niet in uw wachtwoord."))
    # The strength check last, and only when no plainer reason was found: it names no single cause.
    if not problems and zxcvbn(password[:STRENGTH_CHECKED_CHARS], user_inputs=hints)["score"] < MIN_STRENGTH:
        problems.append(
            _(
                "Dit wachtwoord is te makkelijk te raden: het lijkt op een veelgebruikt wachtwoord of een "
                "bekend patroon. Kies een langer wachtwoord, bijvoorbeeld een paar losse woorden."
            )
        )
    return problems
