"""sociale_kaart: a public social map and volunteer matching for Dutch municipalities."""
from pathlib import Path

from flask import Flask, has_request_context, session
from sqlalchemy import event

from . import config as settings
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
    _init_extensions(app)
    _init_adapters(app)
    _register_blueprints(app)
    _register_commands(app)
    from .web import pages
    pages.install(app)
    return app


def _select_locale():
    if not has_request_context():
        return "nl"
    language = session.get("lang")
    return language if language in ("nl", "en") else "nl"


def _init_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_project_root() / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    _init_login(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    from .directory import indexing
    indexing.install(db.session)


def _init_login(app):
    from flask_babel import lazy_gettext as _l

    from .accounts import services as accounts
    from .directory import search_log  # noqa: F401  (the search log belongs to the metadata)
    from .matching import models as matching_models  # noqa: F401  (matching tables belong to the metadata)
    from .notify import models as notify_models  # noqa: F401  (the outbox belongs to the metadata)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Log in om verder te gaan.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(accounts.load_user)


def _sqlite_pragmas(connection, record):
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _init_adapters(app):
    from . import geo, search
    from .directory import indexing

    def documents():
        with app.app_context():
            yield from indexing.documents()

    app.extensions["sociale_kaart.geocoder"] = geo.create_geocoder(
        app.config["GEOCODER"],
        municipality_code=app.config["MUNICIPALITY_CODE"],
        user_agent=app.config["GEOCODER_USER_AGENT"],
    )
    app.extensions["sociale_kaart.search"] = search.create_backend(
        app.config["SEARCH_BACKEND"], path=app.config["SEARCH_DIR"], doc_source=documents
    )


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
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs_bp)


def _register_commands(app):
    from .accounts.cli import users_cli
    from .api.cli import hsds_cli
    from .directory.cli import directory_cli, search_cli, seed_cli
    from .matching.cli import matching_cli
    from .notify.cli import notify_cli

    app.cli.add_command(seed_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(hsds_cli)
    app.cli.add_command(matching_cli)
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
