"""Local times: offers and statuses are dated in Brussels, rows store aware UTC moments."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.clock import BRUSSELS


def at_utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Brussels) time on `day`, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


def month_day(year: int, mm_dd: str) -> date:
    month, day = (int(part) for part in mm_dd.split("-"))
    return date(year, month, day)
