"""Reading the audit log as a use case: whose rows an auditor sees, in which order, by day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import audit as db_audit
from app.domain.access import Grant, Principal, Role
from app.errors import Forbidden
from app.services.audit import read_audit

READ_AT = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def auditor_of(region_id: str) -> Principal:
    return Principal("auditor", (Grant(Role.REGION_ADMIN, region_id=region_id),))


async def audited(session: AsyncSession, region_id: str, at: datetime) -> str:
    """One read of a (made-up) passholder of the region at `at`; returns the passholder."""
    passholder_id = str(uuid.uuid4())
    await db_audit.record(
        session,
        client_id="desk",
        action="quote",
        subjects=[(passholder_id, region_id)],
        now=at,
    )
    return passholder_id


async def test_an_auditor_reads_its_regions_rows_newest_first_page_by_page(
    session: AsyncSession,
) -> None:
    own, other = str(uuid.uuid4()), str(uuid.uuid4())
    read = [await audited(session, own, READ_AT + timedelta(minutes=n)) for n in range(3)]
    await audited(session, other, READ_AT)
    auditor = auditor_of(own)

    first = await read_audit(
        session,
        auditor,
        region_id=None,
        passholder_id=None,
        from_date=None,
        to_date=None,
        before_id=None,
        limit=2,
    )
    rest = await read_audit(
        session,
        auditor,
        region_id=None,
        passholder_id=None,
        from_date=None,
        to_date=None,
        before_id=first.rows[-1].id,
        limit=2,
    )

    assert [row.passholder_id for row in first.rows] == [read[2], read[1]]
    assert first.more is True
    assert [row.passholder_id for row in rest.rows] == [read[0]]
    assert rest.more is False


async def test_days_are_brussels_days_and_the_last_day_is_the_one_before_to_date(
    session: AsyncSession,
) -> None:
    region = str(uuid.uuid4())
    # 14 March 2026 in Brussels (UTC+1) runs from 13 March 23:00 to 14 March 23:00 UTC.
    await audited(session, region, datetime(2026, 3, 13, 22, 59, tzinfo=UTC))
    first = await audited(session, region, datetime(2026, 3, 13, 23, 0, tzinfo=UTC))
    last = await audited(session, region, datetime(2026, 3, 14, 22, 59, tzinfo=UTC))
    await audited(session, region, datetime(2026, 3, 14, 23, 0, tzinfo=UTC))

    page = await read_audit(
        session,
        auditor_of(region),
        region_id=region,
        passholder_id=None,
        from_date=date(2026, 3, 14),
        to_date=date(2026, 3, 15),
        before_id=None,
        limit=10,
    )

    assert [row.passholder_id for row in page.rows] == [last, first]


async def test_an_auditor_naming_another_region_is_refused(session: AsyncSession) -> None:
    other = str(uuid.uuid4())
    await audited(session, other, READ_AT)

    with pytest.raises(Forbidden):
        await read_audit(
            session,
            auditor_of(str(uuid.uuid4())),
            region_id=other,
            passholder_id=None,
            from_date=None,
            to_date=None,
            before_id=None,
            limit=10,
        )
