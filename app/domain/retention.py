"""How long what OpenPas writes is kept: nothing grows forever.

- An idempotency key answers retries of its sale for a while (default 48 hours); after that
  the key is forgotten, and the same key would make a new sale.
- A hold that lapsed is released by the periodic job (app.domain.sales.hold_lapsed decides
  which), not only by the next request that reads it.
- Audit rows are kept for the retention and then purged. The audit log is partitioned by
  calendar month (UTC); a month is dropped whole once its last moment is older than the
  retention, so a row is kept at least the retention and at most a month longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        utc = moment.astimezone(UTC)
        return cls(utc.year, utc.month)

    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def end(self) -> datetime:
        """The first moment after the month."""
        return self.next().start()


def idempotency_cutoff(now: datetime, ttl_hours: int) -> datetime:
    """Keys made before this moment are forgotten."""
    return now - timedelta(hours=ttl_hours)


def audit_cutoff(now: datetime, retention_days: int) -> datetime:
    """Audit rows from before this moment may go."""
    return now - timedelta(days=retention_days)


def months_to_keep_ready(now: datetime, months_ahead: int) -> list[Month]:
    """The current month and the next `months_ahead`: their partitions exist before a row
    needs them (a row of a month without one lands in the default partition, and is moved
    into its month's partition when that is made)."""
    months = [Month.of(now)]
    for _ in range(months_ahead):
        months.append(months[-1].next())
    return months


def months_to_drop(months: list[Month], cutoff: datetime) -> list[Month]:
    """The months whose every row is older than the cutoff, oldest first."""
    return sorted(
        (month for month in months if month.end() <= cutoff), key=lambda m: (m.year, m.month)
    )
