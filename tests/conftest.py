"""Test fixtures: apps on a real SQLite file (or PostgreSQL), a RAM search index, the demo data.

SOCIALE_KAART_TEST_DATABASE_URL=postgresql+psycopg://... runs the same tests on PostgreSQL:
the `app` fixture uses one schema whose tables are created once and emptied before each test
(TRUNCATE is much faster than creating 25 tables per test); apps a test makes itself get a
fresh schema of their own. Every schema is dropped again at the end of the session.
"""

import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.util import LRUCache
from werkzeug.routing import Rule

from sociale_kaart import clock, create_app
from sociale_kaart.extensions import db
from sociale_kaart.search import postgres_backend

TEST_DATABASE_URL = os.environ.get("SOCIALE_KAART_TEST_DATABASE_URL", "")
# Redis for the tests that need it (rate limits shared by workers, the search log's queue): a database other than 0;
# each test uses keys of its own and deletes only those.
REDIS_URL = os.environ.get("SOCIALE_KAART_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_or_skip():
    """Return a client of the tests' Redis, or skip the test (with the reason) when it does not answer."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({type(error).__name__}); set SOCIALE_KAART_TEST_REDIS_URL")
    return client


# --- the app clock (issue #10) ------------------------------------------------------------------
# Every test starts at the same moment, whatever the real date: Monday 30 November 2026, 10:30 in
# Amsterdam (after the code's own dates, such as vocabularies.CHANGED). SOCIALE_KAART_CLOCK_OFFSET_DAYS moves it
# (CI runs the suite again 400 days later, on a Tuesday), so a test that mixes the app clock with the real date,
# or assumes a weekday, fails.
PINNED_START = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


class PinnedClock:
    """The app clock in tests: starts at `start` and runs on with the real seconds that pass."""

    def __init__(self, start):
        self.start(start)

    def start(self, moment):
        """Restart the clock at an aware moment."""
        self._start, self._ticks = moment, time.monotonic()

    def __call__(self):
        return self._start + timedelta(seconds=time.monotonic() - self._ticks)


def pinned_start():
    """Return the moment every test starts at (moved by the clock offset setting)."""
    return PINNED_START + clock.offset()


_clock = PinnedClock(pinned_start())


# --- app creation ------------------------------------------------------------------------------
# The suite makes an app for almost every test (about 6,000 per run). Nine tenths of create_app's
# 40 ms went to Werkzeug compiling a URL builder for each of the ~150 rules: it builds Python source
# for the rule with `ast` and `compile`s it, the same source for the same rule in every app. The
# builder is a pure function of the rule's parts, its defaults and whether unknown arguments are
# appended (it reaches the converters through the bound rule), so the suite keeps one compiled
# builder per such key and binds it to each new rule. Production makes one app per worker and is
# left as Werkzeug makes it.
_builders: dict = {}
_compile_builder = Rule._compile_builder


def _kept_builder(rule, append_unknown=True):
    defaults = rule.defaults or {}
    key = (
        rule.rule,
        tuple(rule._trace),
        tuple((name, type(rule._converters.get(name)), repr(value)) for name, value in sorted(defaults.items())),
        append_unknown,
    )
    if key not in _builders:
        _builders[key] = _compile_builder(rule, append_unknown)
    return _builders[key]


Rule._compile_builder = _kept_builder


class _SharedBytecode(BytecodeCache):
    """Jinja's compiled templates kept for every app of the suite (each app has its own environment).

    A test's first page compiled base.html and the page's templates again: 50-90 ms of a test that
    asks for one page. Every test app has the same environment (extensions, filters, autoescape),
    and Jinja keys the code by template name and a checksum of its source, so an edited template
    is compiled again."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


_bytecode = _SharedBytecode()


class _SharedCompiledCache(LRUCache):
    """SQLAlchemy's compiled statements kept for every engine of the suite (each test app has its own engine).

    SQLAlchemy keeps a statement's compiled form per engine, keyed by the engine's dialect object, so every
    test compiled its statements again: compiling was 38 % of making the workspace tests' world (two services
    and eight users) and about 15 % of the suite. Production keeps one engine per process and compiles each
    statement once. Every test engine of one database kind has the same dialect settings (one SQLite library,
    one PostgreSQL server, the app's engine options), so here the dialect's part of the key is its class and
    those settings, not the object; a compiled statement carries no parameter values (SQLAlchemy asserts it)."""

    def get(self, key, default=None):
        return super().get(_same_dialect(key), default)

    def __setitem__(self, key, value):
        super().__setitem__(_same_dialect(key), value)


def _same_dialect(key):
    dialect = key[0]
    settings = (
        type(dialect),
        dialect.paramstyle,
        dialect.server_version_info,
        dialect.label_length,
        dialect.max_identifier_length,
        getattr(dialect, "_json_serializer", None),
        getattr(dialect, "_json_deserializer", None),
    )
    return (settings, *key[1:])


_compiled = _SharedCompiledCache(5000)


def _share_compiled_statements(app):
    """Let the app's engines, and the ORM's flushes (INSERT, UPDATE and DELETE, kept per mapper), use the
    compiled statements of every other test."""
    with app.app_context():
        for engine in db.engines.values():
            engine._compiled_cache = _compiled
    for mapper in db.Model.registry.mappers:
        if not isinstance(mapper.__dict__.get("_compiled_cache"), _SharedCompiledCache):
            mapper.__dict__["_compiled_cache"] = _SharedCompiledCache(500)


# The moved-clock run (`make test-moved-clock`, --time-dependent) takes only the tests that can depend on the
# date: those marked "dated" and those whose module speaks of time at all. A module that never mentions a
# clock, a date, a day or an expiry cannot be moved by the app clock; it runs in the two main runs.
TIME_WORDS = re.compile(r"clock|date|datetime|timedelta|today|days|expire|fresh|retention|remind|session|token")


def pytest_addoption(parser):
    parser.addoption(
        "--time-dependent",
        action="store_true",
        help="only tests marked 'dated' or whose module mentions time (the moved-clock run)",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--time-dependent"):
        return
    sources: dict[Path, str] = {}
    keep, drop = [], []
    for item in items:
        path = Path(item.path)
        if path not in sources:
            sources[path] = path.read_text(encoding="utf-8")
        (keep if item.get_closest_marker("dated") or TIME_WORDS.search(sources[path]) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config):
    """Pin the app clock before collection: apps made while collecting load their data at it too."""
    from sociale_kaart.directory import vocabularies

    if vocabularies.CHANGED >= PINNED_START.replace(tzinfo=None):
        raise pytest.UsageError("tests/conftest.py: move PINNED_START after vocabularies.CHANGED")
    clock.utcnow = _clock


@pytest.fixture(autouse=True)
def app_clock():
    """The pinned app clock, restarted at the same moment for every test; `.start(moment)` moves it."""
    _clock.start(pinned_start())
    return _clock


@pytest.fixture(autouse=True)
def _limiter_left_as_found():
    """Flask-Limiter is one object for every app: a test that makes a rate-limited app must not
    leave the shared demo apps rate-limited for the tests after it."""
    from sociale_kaart.extensions import limiter

    enabled = limiter.enabled
    yield
    limiter.enabled = enabled


_schemas = set()  # schemas this session made, dropped at its end
_admin = {}
# Schema names carry the process id, so two runs on one database (two developers' suites, or
# CI's PostgreSQL stream beside a hand-run test) never drop or empty each other's tables.
_RUN = f"{os.getpid():x}"
_shared = {"schema": f"t_app_{_RUN}"}
_tables: dict[str, list[str]] = {}  # schema -> its tables, read once
_sequences: dict[str, list[str]] = {}  # schema -> its sequences, read once
# t_app_<pid> and t_<pid>_<name>: the process id of the run that made the schema
_RUN_OF_SCHEMA = re.compile(r"t_(?:app_)?([0-9a-f]+)(?:_|$)")


# The tests' commits do not wait for PostgreSQL to flush its log to disk (synchronous_commit off, this connection
# only): a commit took 0.76 ms against 0.24 ms on this machine, and the suite commits several times a test. What
# another connection sees after a commit is the same; only a crash of the server could lose the last commits.
_NO_FLUSH_WAIT = "-csynchronous_commit=off"


def _admin_engine():
    if "engine" not in _admin:
        _admin["engine"] = create_engine(
            TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", connect_args={"options": _NO_FLUSH_WAIT}
        )
    return _admin["engine"]


def _schema_url(schema):
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{separator}options=" + quote(f"-csearch_path={schema} {_NO_FLUSH_WAIT}")


def _postgres_url(schema):
    """Return the test PostgreSQL URL that uses one schema, after (re)creating it."""
    with _admin_engine().connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    _schemas.add(schema)
    return _schema_url(schema)


def _emptied_shared_url():
    """Return the URL of the shared schema with every table emptied (made fresh once per session)."""
    schema = _shared["schema"]
    if schema not in _schemas:
        return _postgres_url(schema)
    with _admin_engine().connect() as connection:
        tables = _tables.get(schema) or (
            connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": schema})
            .scalars()
            .all()
        )
        _tables[schema] = tables  # the models' tables, the same for the whole session once made
        if tables:
            try:
                connection.execute(text("SET lock_timeout = '5s'"))
                _empty(connection, schema, tables)
            except OperationalError:
                # an earlier test left a transaction open on these tables: start a new schema
                _shared["schema"] = f"t_app_{_RUN}_{uuid.uuid4().hex[:8]}"
                return _postgres_url(_shared["schema"])
    return _schema_url(schema)


def _empty(connection, schema, tables):
    """Empty the tables and restart their sequences.

    TRUNCATE of the 45 tables took 0.3-0.6 s a test (it makes new files for every table and
    index); a test leaves a few rows in a few tables, and DELETE of them takes a few milliseconds. DELETE runs
    with the session's replication role "replica", so that no trigger fires (foreign keys, the
    search count) and the order of the tables does not matter. That role needs a superuser (CI's
    database is trusted as postgres); another user gets TRUNCATE."""
    names = [f'"{schema}"."{table}"' for table in tables]
    try:
        connection.execute(text("SET session_replication_role = replica"))
    except ProgrammingError:
        connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        return
    try:
        if schema not in _sequences:
            _sequences[schema] = (
                connection.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"), {"s": schema})
                .scalars()
                .all()
            )
        sequences = [f'"{schema}"."{sequence}"' for sequence in _sequences[schema]]
        # one question for the tables a test wrote to and the sequences it used (last_value is NULL until then)
        used = " UNION ALL ".join(
            [f"SELECT 'DELETE FROM {name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in names]
            + [
                f"SELECT 'ALTER SEQUENCE {name} RESTART' WHERE pg_sequence_last_value('{name}'::regclass) IS NOT NULL"
                for name in sequences
            ]
        )
        statements = connection.execute(text(used)).scalars().all()
        if statements:
            connection.execute(text("; ".join(statements)))  # one round trip, one transaction
        # what create_all would add to the emptied tables: the empty search index's format
        connection.execute(text(f'SET search_path TO "{schema}"'))
        postgres_backend.stamp_empty_index(connection)
        connection.execute(text("RESET search_path"))
        _shared["emptied"] = schema
    finally:
        connection.execute(text("SET session_replication_role = DEFAULT"))


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas():
    """Drop the PostgreSQL schemas the session made, so runs do not pile up tables; first those of runs
    on this machine that were killed before they could (their process is gone)."""
    if TEST_DATABASE_URL:
        _drop_schemas_of_ended_runs()
    yield
    if TEST_DATABASE_URL and _schemas:
        with _admin_engine().connect() as connection:
            for schema in sorted(_schemas):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        _admin["engine"].dispose()


def _drop_schemas_of_ended_runs():
    with _admin_engine().connect() as connection:
        names = connection.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")).scalars()
        for schema in sorted(names):
            match = _RUN_OF_SCHEMA.match(schema)
            if match is None or _running(int(match.group(1), 16)):
                continue
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def database_url(folder, name):
    """Return a fresh, empty database URL: a SQLite file in folder, or a PostgreSQL schema."""
    if TEST_DATABASE_URL:
        return _postgres_url(f"t_{_RUN}_{re.sub(r'[^a-z0-9_]', '_', name.lower())[:40]}")
    return f"sqlite:///{Path(folder) / (name + '.db')}"


def make_app(folder, name="app", **overrides):
    """Create a test app on an empty database with a RAM search index."""
    config = {
        "TESTING": True,
        "ENV": "testing",
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "SEARCH_BACKEND": "memory",
        "SEARCH_DIR": str(Path(folder) / "index"),
        "MAP_TILE_URL": "",
        "MAP_TILE_ORIGIN": "",
        "SERVER_NAME": None,
        "RATELIMIT_ENABLED": False,  # on in test_rate_limits.py
    }
    config.update(overrides)
    if "SQLALCHEMY_DATABASE_URI" not in config:
        config["SQLALCHEMY_DATABASE_URI"] = database_url(folder, name)
    if "SEARCH_BACKEND" not in overrides and config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        config["SEARCH_BACKEND"] = "postgres"  # the PostgreSQL run searches in PostgreSQL (issue #16)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _bytecode
    _share_compiled_statements(app)
    return app


@contextmanager
def module_app(tmp_path_factory, name):
    """Make an app on an empty database of its own (tables created) for a module's tests; dispose of it after."""
    app = make_app(tmp_path_factory.mktemp(name), name=name)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


_template = {}  # the SQLite file with every table and no row, made once per session


def _sqlite_with_tables(tmp_path_factory, target):
    """Write a SQLite file with every table of the models (and no row) at target.

    Creating the 45 tables took 30-40 ms a test; copying a file made once takes under 1 ms, and the
    test's own `create_all` then finds every table there."""
    if "path" not in _template:
        folder = tmp_path_factory.mktemp("template")
        app = make_app(folder, name="template", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'template.db'}")
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        _template["path"] = folder / "template.db"
    shutil.copyfile(_template["path"], target)


def fresh_app(tmp_path, request, **overrides):
    """Make a test's app on an empty database: its own SQLite file (tables made), or the emptied shared schema."""
    name = request.node.name[:30] + "_" + uuid.uuid4().hex[:6]
    if TEST_DATABASE_URL:
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", _emptied_shared_url())
    elif "SQLALCHEMY_DATABASE_URI" not in overrides:
        path = Path(tmp_path) / f"{name}.db"
        _sqlite_with_tables(request.getfixturevalue("tmp_path_factory"), path)
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    return make_app(tmp_path, name=name, **overrides)


@pytest.fixture
def app(tmp_path, request):
    """An app with an empty database (tables created from the models)."""
    app = fresh_app(tmp_path, request)
    with app.app_context():
        if not (TEST_DATABASE_URL and _shared.pop("emptied", None) == _shared["schema"]):
            db.create_all()  # the emptied shared schema has every table (30-40 ms saved a test)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def _seed(app):
    from sociale_kaart.directory import seed
    from sociale_kaart.directory.cli import DEMO_FOLDER
    from sociale_kaart.directory.services import geocoder, search_backend

    seed.load_demo(DEMO_FOLDER, geocoder(), search_backend(), app.config["MUNICIPALITY_CODE"])


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """One app with the demo municipality loaded; tests using it must not write."""
    folder = tmp_path_factory.mktemp("demo")
    app = make_app(folder, name="demo")
    with app.app_context():
        db.create_all()
        _seed(app)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo_client(demo_app):
    """A client of the demo app; each request gets its own app context, as in production."""
    return demo_app.test_client()


@pytest.fixture
def demo_db(demo_app):
    """The demo app's database session, for reading rows in a test."""
    with demo_app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def seeded_app(app):
    """A fresh app with the demo data, for tests that write."""
    _seed(app)
    return app


# --- e-mail (issue #3): a real SMTP server on 127.0.0.1 -------------------------------------


class _CollectingHandler:
    """aiosmtpd handler that keeps every message it receives, or refuses them all."""

    def __init__(self):
        self.messages = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        if self.refuse:
            return "554 Transaction failed (refused by the test server)"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message.envelope_recipients = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1; `.messages` lists the email.message objects received."""
    from aiosmtpd.controller import Controller

    handler = _CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.host, handler.port = controller.hostname, controller.port
    yield handler
    controller.stop()


def smtp_settings(server):
    """Return the app settings that send e-mail to the test SMTP server (the `smtp_server` fixture)."""
    return {"SMTP_HOST": server.host, "SMTP_PORT": server.port, "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 5.0}


@pytest.fixture
def smtp_app(tmp_path, request, smtp_server):
    """Like `app`, but sending e-mail over SMTP to the `smtp_server` fixture."""
    app = fresh_app(tmp_path, request, **smtp_settings(smtp_server))
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()
