"""When a job is due (issue #16): pure rules on the municipality's local wall-clock time.

A job runs daily at a fixed local time (`Every.day(3, 0)`) or hourly at a minute
(`Every.hour(5)`). Its *slot* is the latest such moment at or before now, named by its local
wall time ("2026-11-30T03:00"). A job is due when its current slot has no run yet: a scheduler
that was down at 03:00 runs the job when it comes back (once, for the latest slot only), and
the daylight-saving changes need nothing special: on the night the clock goes forward 03:00
still exists, and in the hour that repeats in autumn the slot keeps its name, so it is not run
twice. Times are naive local datetimes (clock.local_now()).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Every:
    """A repeat rule: each day at hour:minute, or each hour at minute (hour None)."""

    hour: int | None
    minute: int

    @classmethod
    def day(cls, hour: int, minute: int = 0) -> "Every":
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(f"not a time of day: {hour}:{minute}")
        return cls(hour, minute)

    @classmethod
    def hour_at(cls, minute: int) -> "Every":
        if not 0 <= minute < 60:
            raise ValueError(f"not a minute: {minute}")
        return cls(None, minute)

    def latest(self, now: datetime) -> datetime:
        """Return the latest moment of this rule at or before `now` (naive local time)."""
        if self.hour is None:
            moment = now.replace(minute=self.minute, second=0, microsecond=0)
            return moment if moment <= now else moment - timedelta(hours=1)
        moment = now.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        return moment if moment <= now else moment - timedelta(days=1)

    def next(self, now: datetime) -> datetime:
        """Return the first moment of this rule after `now`."""
        step = timedelta(hours=1) if self.hour is None else timedelta(days=1)
        return self.latest(now) + step

    def describe(self) -> str:
        """Return the rule for people: "daily 03:00" or "hourly at :05"."""
        if self.hour is None:
            return f"hourly at :{self.minute:02d}"
        return f"daily {self.hour:02d}:{self.minute:02d}"


def slot_name(moment: datetime) -> str:
    """Return the name of a slot: its local wall time to the minute, "2026-11-30T03:00"."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def current_slot(rule: Every, now: datetime) -> str:
    """Return the name of the slot a job with this rule is in at `now`."""
    return slot_name(rule.latest(now))
