"""Visits to free activities: recorded once per bearer (card holder or voucher), offer and
day, whoever scans twice — the unique indexes decide, in one statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import cards, checkins, passholders


@dataclass(frozen=True, slots=True)
class CardBearer:
    passholder_id: str
    region_id: str
    municipality_nis: str
    card_status: str


async def card_bearer(session: AsyncSession, number: str) -> CardBearer | None:
    row = (
        await session.execute(
            sa.select(
                cards.c.status,
                passholders.c.id,
                passholders.c.region_id,
                passholders.c.municipality_nis,
            )
            .join(passholders, passholders.c.id == cards.c.passholder_id)
            .where(cards.c.number == number)
        )
    ).first()
    if row is None:
        return None
    return CardBearer(str(row.id), str(row.region_id), row.municipality_nis, row.status)


@dataclass(frozen=True, slots=True)
class CheckinRow:
    id: str
    offer_id: str
    visit_date: date
    people: int
    created_at: datetime


async def record_visit(
    session: AsyncSession,
    *,
    offer_id: str,
    partner_id: str,
    passholder_id: str | None,
    voucher_id: str | None,
    municipality_nis: str | None,
    people: int,
    visit_date: date,
    client_id: str,
    now: datetime,
) -> tuple[CheckinRow, bool]:
    """The visit, and whether this call recorded it (False: it was there already)."""
    bearer = checkins.c.passholder_id if passholder_id is not None else checkins.c.voucher_id
    bearer_id = uuid.UUID(passholder_id or voucher_id or "")
    inserted = (
        await session.execute(
            insert(checkins)
            .values(
                id=uuid.uuid4(),
                offer_id=uuid.UUID(offer_id),
                partner_id=uuid.UUID(partner_id),
                passholder_id=None if passholder_id is None else uuid.UUID(passholder_id),
                voucher_id=None if voucher_id is None else uuid.UUID(voucher_id),
                municipality_nis=municipality_nis,
                people=people,
                visit_date=visit_date,
                client_id=client_id,
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(checkins)
        )
    ).first()
    row = (
        inserted
        or (
            await session.execute(
                sa.select(checkins).where(
                    bearer == bearer_id,
                    checkins.c.offer_id == uuid.UUID(offer_id),
                    checkins.c.visit_date == visit_date,
                )
            )
        ).one()
    )
    return (
        CheckinRow(str(row.id), str(row.offer_id), row.visit_date, row.people, row.created_at),
        inserted is not None,
    )
