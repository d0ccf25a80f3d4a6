"""Rate limits shared by several gunicorn workers through Redis, per client behind a proxy (issue #12).

With memory:// storage and `gunicorn -w 3` each worker counted on its own: 27 wrong passwords for
one account went through before the first 429. Here three real workers share Redis.
"""

import hashlib
import logging
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest

from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.conftest import REDIS_URL, free_port, make_app, redis_or_skip
from tests.servers import Process, wait_for

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def gunicorn_site(tmp_path):
    """`gunicorn -w 3` on a free port: a SQLite file with one user, rate limits in Redis, one trusted proxy."""
    store = redis_or_skip()
    database = f"sqlite:///{tmp_path / 'workers.db'}"
    app = make_app(tmp_path, name="workers", SQLALCHEMY_DATABASE_URI=database)
    email = f"werker-{uuid.uuid4().hex[:12]}@example.org"  # keys of its own, also beside another run
    with app.app_context():
        db.create_all()
        make_user(email=email)
        db.engine.dispose()
    port = free_port()
    environment = {
        **os.environ,
        "SOCIALE_KAART_ENV": "testing",
        "SOCIALE_KAART_SECRET_KEY": secrets.token_hex(32),
        "SOCIALE_KAART_DATABASE_URL": database,
        "SOCIALE_KAART_SEARCH_BACKEND": "memory",
        "SOCIALE_KAART_SEARCH_DIR": str(tmp_path / "index"),
        "SOCIALE_KAART_MAIL_DIR": str(tmp_path / "mail"),
        "SOCIALE_KAART_RATELIMIT_STORAGE_URI": REDIS_URL,
        "SOCIALE_KAART_TRUSTED_PROXIES": "1",  # the test plays the proxy: X-Forwarded-For names the client
    }
    process = Process(
        [sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        environment,
        tmp_path / "gunicorn.log",
    )
    client_address = f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/inloggen", process)
        yield base, email, client_address
    finally:
        process.stop()
        account_key = hashlib.sha256(email.encode()).hexdigest()[:32]
        for pattern in (f"*{client_address}*", f"*{account_key}*"):
            for key in store.scan_iter(match=pattern):
                store.delete(key)
        store.close()


def _post_wrong_password(opener, base, email, client_address, token):
    data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "fout-wachtwoord"}).encode()
    request = urllib.request.Request(base + "/inloggen", data=data, headers={"X-Forwarded-For": client_address})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_the_eleventh_wrong_password_in_a_minute_is_refused_by_three_workers_sharing_redis(gunicorn_site):
    base, email, client_address = gunicorn_site
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = urllib.request.Request(base + "/inloggen", headers={"X-Forwarded-For": client_address})
    with opener.open(page, timeout=10) as response:
        token = TOKEN.search(response.read().decode()).group(1)
    statuses = [_post_wrong_password(opener, base, email, client_address, token) for _ in range(11)]
    assert statuses == [400] * 10 + [429]


# --- a clear warning when production counts in each worker's memory --------------------------------


@pytest.mark.parametrize("storage, warned", [("memory://", True), ("redis://127.0.0.1:6379/5", False)])
def test_production_warns_when_rate_limits_are_kept_in_memory(tmp_path, caplog, monkeypatch, storage, warned):
    # alembic's fileConfig (tests/test_migrations.py) disables the loggers that exist when it runs
    monkeypatch.setattr(logging.getLogger("sociale_kaart"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="sociale_kaart")
    app = make_app(tmp_path, name="production_" + uuid.uuid4().hex[:6], ENV="production", RATELIMIT_STORAGE_URI=storage)
    messages = [record.getMessage() for record in caplog.records if record.name == app.logger.name]
    assert any("SOCIALE_KAART_RATELIMIT_STORAGE_URI" in message for message in messages) is warned
    with app.app_context():
        db.engine.dispose()
