"""Non-take-up: how many people are entitled today against how many use the pass."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels
from app.domain.access import Role
from app.spreadsheets import XLSX_MEDIA_TYPE
from tests.factories import a_region, bearer_for
from tests.reports.factories import (
    a_card,
    a_passholder,
    a_pending_entitlement,
    an_entitlement,
    read_csv,
    read_xlsx,
)


async def test_the_unknown_group_is_the_entitled_without_an_active_card_plus_the_pending(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session, grace_days=10)
    elsewhere = await a_region(session)
    today = today_in_brussels()
    day = timedelta(days=1)
    start = today - 100 * day

    async def holder_with(
        card: str | None = None,
        *,
        region_id: str | None = region.id,
        valid_from: date = start,
        valid_until: date | None = None,
        suspended_until: date | None = None,
        ended_on: date | None = None,
    ) -> str:
        holder = await a_passholder(session, region)
        await an_entitlement(
            session,
            holder,
            region_id=region_id,
            valid_from=valid_from,
            valid_until=valid_until,
            suspended_until=suspended_until,
            ended_on=ended_on,
        )
        if card is not None:
            await a_card(session, holder, region.id, status=card)
        return holder

    # Entitled today, with an active card.
    await holder_with(card="active")
    await holder_with(card="active", region_id=None, valid_until=today)
    # Entitled today, without an active card.
    await holder_with()
    await holder_with(card="blocked", region_id=None)
    await holder_with(valid_until=today - 10 * day)  # still within the 10 grace days
    twice = await holder_with(card="replaced")
    await an_entitlement(session, twice, region_id=region.id, valid_from=start, type="leefloon")
    # Not entitled today.
    await holder_with(card="active", valid_until=today - 11 * day)
    await holder_with(suspended_until=today)
    await holder_with(ended_on=today)
    await holder_with(valid_from=today + day)
    await holder_with(card="active", region_id=elsewhere.id)
    await a_passholder(session, region)  # no status at all
    # Entitled elsewhere: counts in the other region, not here.
    stranger = await a_passholder(session, elsewhere)
    await an_entitlement(session, stranger, region_id=None, valid_from=start)

    # Pending: one person on two lists counts once; applied, expired, future, other
    # regions' and already registered people do not count.
    await a_pending_entitlement(session, region.id, "a" * 64, valid_from=start)
    await a_pending_entitlement(session, region.id, "a" * 64, valid_from=start, type="leefloon")
    await a_pending_entitlement(session, region.id, "b" * 64, valid_from=start, valid_until=today)
    await a_pending_entitlement(session, region.id, "c" * 64, valid_from=start, applied=True)
    await a_pending_entitlement(
        session, region.id, "d" * 64, valid_from=start, valid_until=today - 11 * day
    )
    await a_pending_entitlement(session, region.id, "e" * 64, valid_from=today + day)
    await a_pending_entitlement(session, elsewhere.id, "f" * 64, valid_from=start)
    await a_passholder(session, region, insz_hash="9" * 64)
    await a_pending_entitlement(session, region.id, "9" * 64, valid_from=start)
    await session.commit()
    headers = await bearer_for(session, Role.REPORTER, region_id=region.id)

    response = await client.get("/v1/reports/non-take-up", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "region_id": region.id,
        "counted_on": today.isoformat(),
        "entitled": 6 + 2,
        "entitled_passholders": 6,
        "with_active_card": 2,
        "entitled_without_active_card": 4,
        "pending_people": 2,
        "unknown_group": 4 + 2,
        "take_up_share": 0.25,
    }
    # The same counts as files, with the region's name beside its id.
    as_csv = await client.get("/v1/reports/non-take-up", headers={**headers, "Accept": "text/csv"})
    as_xlsx = await client.get(
        "/v1/reports/non-take-up",
        headers={**headers, "Accept": XLSX_MEDIA_TYPE, "Accept-Language": "en"},
    )
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="non_take_up_{today.isoformat()}.csv"'
    )
    header, row = read_csv(as_csv)
    assert header[:4] == ["regio", "naam regio", "geteld op", "rechthebbenden"]
    assert row == [
        region.id,
        region.name,
        today.isoformat(),
        "8",
        "6",
        "2",
        "4",
        "2",
        "6",
        "0,2500",
    ]
    title, [sheet_header, values] = read_xlsx(as_xlsx)
    assert (title, sheet_header[-1]) == ("Non-take-up", "take-up share")
    assert values[2] == datetime(today.year, today.month, today.day)
    assert values[3:] == [8, 6, 2, 4, 2, 6, 0.25]


async def test_a_region_without_anyone_entitled_has_no_take_up_share(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    body = (
        await client.get(
            "/v1/reports/non-take-up", headers=headers, params={"region_id": region.id}
        )
    ).json()

    assert body["entitled"] == body["unknown_group"] == 0
    assert body["take_up_share"] is None


async def test_non_take_up_gives_counts_and_no_personal_data(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    holder = await a_passholder(session, region, insz_hash="7" * 64)
    await an_entitlement(
        session, holder, region_id=region.id, valid_from=today_in_brussels() - timedelta(days=1)
    )
    await session.commit()
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    response = await client.get("/v1/reports/non-take-up", headers=headers)

    assert holder not in response.text
    assert "7" * 64 not in response.text
    assert response.json()["entitled_passholders"] == 1
