"""The current time, in one place, so tests and services agree on what "now" is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_in_brussels() -> date:
    """Calendar rules (validity, periods) follow the local date in Belgium, not UTC."""
    return datetime.now(BRUSSELS).date()


def date_in_brussels(moment: datetime) -> date:
    """The local date in Belgium at `moment` (an aware datetime)."""
    return moment.astimezone(BRUSSELS).date()
