"""Flask extensions, created unbound; create_app binds them."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

if TYPE_CHECKING:
    from typing import Any

    from sqlalchemy.orm import Relationship

    class _SQLAlchemy(SQLAlchemy):
        # Flask-SQLAlchemy 3.1 types db.relationship() as RelationshipProperty, which is no descriptor to a
        # type checker (pallets-eco/flask-sqlalchemy#1318): Service.locations would not be usable in
        # selectinload() nor user.roles iterable. It returns sqlalchemy.orm.relationship()'s Relationship.
        def relationship(self, *args: Any, **kwargs: Any) -> Relationship[Any]: ...

else:
    _SQLAlchemy = SQLAlchemy

db = _SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))

# The base class of every model. `db.Model` is made at run time, so a type checker cannot use it as a
# base class ("Name db.Model is not defined"); models subclass `Model` instead. To the type checker it
# is what db.Model is: Flask-SQLAlchemy's Model (query, query_class) on a declarative base (keyword
# constructor, metadata, __table__); at run time it is db.Model itself.
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskSQLAlchemyModel
    from sqlalchemy.orm import DeclarativeBase

    class Model(_FlaskSQLAlchemyModel, DeclarativeBase):
        pass

else:
    Model = db.Model


def one_of(column, values):
    """Return the SQL of a check constraint: the column holds one of these codes."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


migrate = Migrate()
compress = Compress()  # gzip, br or zstd of pages, JSON, CSS and JS (web/caching.py, issue #17)
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
