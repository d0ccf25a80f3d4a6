"""sociale_kaart: a public social map and volunteer matching for Dutch municipalities."""

from pathlib import Path

from flask import Flask, has_request_context
from sqlalchemy import event

from . import config as settings
from . import params
from .extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config=None):
    """Create the app: defaults, then the environment, then `config` (used by tests)."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.update(settings.load(app.instance_path, config))
    from . import logs

    logs.choose_output(app)  # JSON lines from the first message on (SOCIALE_KAART_LOG_FORMAT, issue #16)
    # One time-zone setting (issue #13): Flask-Babel's formatting follows TIMEZONE.
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    _refuse_debugger_in_production(app)
    _init_extensions(app)
    _init_proxy_and_rate_limits(app)
    _init_adapters(app)
    params.install_converters(app)  # before the blueprints: their routes use the converters (issue #12)
    _register_blueprints(app)
    _register_commands(app)
    from .web import caching, pages

    pages.install(app)
    caching.install(app)  # ETag, Cache-Control, static fingerprints, compression (issue #17)
    logs.install(app)  # after the blueprints: the token routes come from the URL map (issue #12)
    return app


def _refuse_debugger_in_production(app):
    """FLASK_DEBUG=1 serves the Werkzeug debugger, which runs any code a visitor types (issue #12)."""
    from flask.helpers import get_debug_flag

    if app.config["ENV"] == "production" and (app.debug or get_debug_flag()):
        raise RuntimeError(
            "FLASK_DEBUG is on while SOCIALE_KAART_ENV=production: the debugger would let anyone who reaches "
            "it run code on the server. Unset FLASK_DEBUG (and do not pass --debug)."
        )


def _select_locale():
    if not has_request_context():
        return "nl"
    from .accounts import sessions

    return sessions.request_language()  # one rule: the account's language when logged in, else the browser's


def _init_extensions(app):
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(_project_root() / "migrations"), render_as_batch=True, include_name=_not_search_table
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    _init_login(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    from . import transactions
    from .directory import cache, indexing

    indexing.install(db.session)
    cache.install(db.session)  # after the index: a new version stamp as the transaction's last write (#17)
    transactions.add_commit_hook(app, indexing.reindex_on_commit)  # the search index after each commit


def _init_login(app):
    from flask_babel import lazy_gettext as _l

    from .accounts import services as accounts
    from .accounts import sessions
    from .directory import search_log  # noqa: F401  (the search log belongs to the metadata)
    from .insights import models as insights_models  # noqa: F401  (population figures, area analysis #15)
    from .lists import models as lists_models  # noqa: F401  (lists to hand over, short links #19)
    from .matching import models as matching_models  # noqa: F401  (matching tables belong to the metadata)
    from .notify import models as notify_models  # noqa: F401  (the outbox belongs to the metadata)
    from .ops import models as ops_models  # noqa: F401  (job runs of the scheduler, #16)
    from .signals import models as signals_models  # noqa: F401  (signal tables belong to the metadata, #15)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Log in om verder te gaan.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(sessions.load_user)  # login sessions (issue #12)
    login_manager.localize_callback = sessions.login_message
    from .notify.services import RESOLVERS

    app.extensions[RESOLVERS] = {accounts.RESET_REQUEST: accounts.password_reset_draft}
    from .lists.services import MAIL_TEMPLATE as LIST_MAIL
    from .notify.services import FORGET_AFTER_SENDING

    app.extensions[FORGET_AFTER_SENDING] = {LIST_MAIL}  # a typed address is not kept after sending (#19)


def _init_proxy_and_rate_limits(app):
    """Trust the proxies in front for the client's address and scheme; warn about per-worker limits (issue #12)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:
        # X-Forwarded-For/-Proto as set by that many proxies; anything a client adds before them is ignored
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if app.config["ENV"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.logger.warning(
            "Rate limits are kept in memory (SOCIALE_KAART_RATELIMIT_STORAGE_URI=memory://): with several "
            "workers or servers each counts on its own, so the login limit allows that many times more "
            "wrong passwords. Set SOCIALE_KAART_RATELIMIT_STORAGE_URI=redis://…"
        )


def _sqlite_pragmas(connection, record):
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _init_adapters(app):
    from . import geo, search
    from .directory import indexing

    def documents():
        # A missing or outdated index is built by `flask search reindex` (at deploy), never inside a
        # web request: a build takes seconds to minutes and every worker would start one (issue #16).
        # The RAM index of the tests belongs to its process and starts empty, so it is built anywhere.
        if has_request_context() and app.config["SEARCH_BACKEND"] != "memory":
            app.logger.error(
                "The search index is missing or outdated; searches answer 503 until `flask search reindex` has built it"
            )
            raise search.IndexNotBuilt("the search index is built by `flask search reindex`, not in a request")
        with app.app_context():
            yield from indexing.documents()

    app.extensions["sociale_kaart.geocoder"] = geo.create_geocoder(
        app.config["GEOCODER"],
        municipality_code=app.config["MUNICIPALITY_CODE"],
        user_agent=app.config["GEOCODER_USER_AGENT"],
    )
    app.extensions["sociale_kaart.search"] = search.create_backend(
        app.config["SEARCH_BACKEND"],
        path=app.config["SEARCH_DIR"],
        doc_source=documents,
        session=db.session,
        metadata=db.metadata,  # "postgres": tables beside the app's (issue #16)
    )


def _not_search_table(name, type_, parent_names):
    """Leave the postgres search backend's tables (migration 0008) out of `flask db migrate/check`."""
    from . import search

    return not (type_ == "table" and name in search.TABLES)


def _register_blueprints(app):
    from .accounts.views import bp as accounts_bp
    from .admin.views import bp as admin_bp
    from .api.views import bp as api_bp
    from .api.views import docs_bp as api_docs_bp
    from .directory.views import bp as directory_bp
    from .matching.broker_views import bp as broker_bp
    from .matching.views import bp as matching_bp
    from .web.views import bp as web_bp
    from .workspace.views import bp as workspace_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(broker_bp)
    from .signals import privacy as signal_privacy
    from .signals.views import bp as signals_bp
    from .signals.views import team_bp as signal_team_bp

    app.register_blueprint(signals_bp)  # "Zorgen over iemand?" and its follow-up (issue #15)
    app.register_blueprint(signal_team_bp)
    from .directory import scopes as directory_scopes
    from .matching import account_events as matching_account_events

    matching_account_events.connect_account_events()  # first: the download keeps its order (issue #13)
    directory_scopes.connect_account_events()  # an admin of one municipality sees its accounts (issue #20)
    signal_privacy.connect_account_events()
    from .insights.views import bp as insights_bp

    app.register_blueprint(insights_bp)  # /werkplek/analyse, the area analysis (issue #15)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs_bp)
    from .ops.views import bp as ops_bp

    app.register_blueprint(ops_bp)  # /healthz (issue #16)
    from .lists import privacy as list_privacy
    from .lists.views import bp as lists_bp

    app.register_blueprint(lists_bp)  # "Mijn lijstje", short links, the wegwijzer per village (issue #19)
    list_privacy.connect_account_events()


def _register_commands(app):
    from .accounts.cli import users_cli
    from .api.cli import hsds_cli
    from .directory.cli import directory_cli, search_cli, seed_cli
    from .directory.region_cli import region_cli
    from .matching.cli import matching_cli
    from .notify.cli import notify_cli

    app.cli.add_command(seed_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(region_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(hsds_cli)
    app.cli.add_command(matching_cli)
    from .signals.cli import signals_cli

    app.cli.add_command(signals_cli)  # flask signals remind / retention (issue #15)
    from .insights.cli import insights_cli

    app.cli.add_command(insights_cli)  # flask insights import-population (issue #15)
    from .ops.cli import jobs_cli

    app.cli.add_command(jobs_cli)  # flask jobs list / run / run-due / schedule (issue #16)
    app.extensions["sociale_kaart.demo_seeders"] = [_matching_demo]
    app.extensions["sociale_kaart.demo_refreshers"] = [_matching_demo_refresh]


def _matching_demo():
    """`flask seed demo`: fictional volunteers and help requests (issue #4)."""
    from .matching.seed import demo_seeder

    return demo_seeder()


def _matching_demo_refresh():
    """`flask seed demo --refresh-dates`: the help requests and volunteers move to today (issue #10)."""
    from .matching.seed import demo_refresher

    return demo_refresher()


def _project_root():
    return Path(__file__).resolve().parent.parent
