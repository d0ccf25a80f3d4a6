"""The one clock of the app: tests move it by replacing `utcnow`."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow():
    """Return the current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def local_now():
    """Return the municipality's current local time (naive)."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return utcnow().astimezone(zone).replace(tzinfo=None)


def today():
    """Return the municipality's current date."""
    return local_now().date()


def naive_utcnow():
    """Return the current UTC time without tzinfo, as the models store it."""
    return utcnow().replace(tzinfo=None)


def naive_utc(moment=None):
    """Return a moment as naive UTC (how the models store time); now when None."""
    if moment is None:
        return naive_utcnow()
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
