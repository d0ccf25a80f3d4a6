"""Password hashing (scrypt, Werkzeug's current default)."""
from werkzeug.security import check_password_hash, generate_password_hash

HASH_METHOD = "scrypt"


def hash_password(password):
    """Return a salted scrypt hash of a password."""
    return generate_password_hash(password, method=HASH_METHOD)


def verify_password(password_hash, password):
    """Return True when the password matches the hash (False for accounts without a password)."""
    return bool(password_hash) and check_password_hash(password_hash, password)
