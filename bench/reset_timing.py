"""Benchmark "Wachtwoord vergeten" for a known and an unknown address (issue #12).

Run from the project root:

    .venv/bin/python bench/reset_timing.py [--requests 100] [--users 1000] [--database-url URL]

It makes an app on a temporary SQLite file (or the database URL given, e.g. an empty PostgreSQL
schema) with N active accounts, then times POST /wachtwoord-vergeten through Flask's test client
(CSRF check, form, service, page), alternating an address that has an account with one that has
none, after a warm-up. It prints the median of each and the difference. Before issue #12 the
medians were 13.8 ms (known) and 7.3 ms (unknown); the difference must stay under 1 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time

from sociale_kaart import create_app
from sociale_kaart.accounts.models import User, UserRole
from sociale_kaart.accounts.passwords import hash_password
from sociale_kaart.extensions import db

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def make_accounts(count):
    """Add `count` active, confirmed residents (one password hash for all: it is not what is timed)."""
    password_hash = hash_password("Bench-wachtwoord-2026")
    for number in range(count):
        user = User(email=f"bekend{number}@example.org", name=f"Bekend {number}", password_hash=password_hash)
        user.role_rows = [UserRole(role="resident")]
        db.session.add(user)
    db.session.commit()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="requests per kind of address (default 100)")
    parser.add_argument("--users", type=int, default=1000, help="accounts in the database (default 1000)")
    parser.add_argument("--database-url", default="", help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench-reset-")
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SEARCH_BACKEND": "memory",
            "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{folder}/bench.db",
            "SEARCH_DIR": f"{folder}/index",
            "MAIL_DIR": f"{folder}/mail",
        }
    )
    with app.app_context():
        db.create_all()
        make_accounts(max(args.users, args.requests))
    client = app.test_client()
    token = TOKEN.search(client.get("/wachtwoord-vergeten").get_data(as_text=True)).group(1)

    def post(address):
        started = time.perf_counter()
        response = client.post("/wachtwoord-vergeten", data={"csrf_token": token, "email": address})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return elapsed

    warm_up = 20
    for number in range(warm_up):
        post(f"bekend{number}@example.org")
        post(f"warm{number}@example.org")
    known, unknown = [], []
    for number in range(args.requests):  # alternate, so drift hits both alike
        known.append(post(f"bekend{number % args.users}@example.org"))
        unknown.append(post(f"niemand{number}@example.org"))
    known_ms, unknown_ms = statistics.median(known), statistics.median(unknown)
    print(
        f"== POST /wachtwoord-vergeten, {args.requests} requests each, {args.users:,} accounts, "
        f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':', 1)[0]} =="
    )
    print(f"known address    median {known_ms:6.2f} ms")
    print(f"unknown address  median {unknown_ms:6.2f} ms")
    print(f"difference              {known_ms - unknown_ms:+6.2f} ms  (must stay within ±1 ms)")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
