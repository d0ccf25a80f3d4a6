"""Account use cases: registration, login, password reset, profile, roles (issue #3)."""
from sqlalchemy import select

from ..extensions import db
from .models import User


def load_user(session_token):
    """Return the active user a session or remember-me cookie refers to, or None."""
    if not session_token:
        return None
    user = db.session.scalars(select(User).where(User.session_token == session_token)).first()
    return user if user is not None and user.is_active else None
