"""Passholders, their cards and entitlements: rows in, plain values out."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import (
    cards,
    entitlements,
    group_cards,
    municipality_postal_codes,
    passholders,
)


@dataclass(frozen=True, slots=True)
class PassholderRow:
    id: str
    region_id: str
    first_name: str
    last_name: str
    birth_date: date
    postal_code: str
    municipality_nis: str
    email: str | None
    has_insz: bool
    created_at: datetime
    updated_at: datetime


def _passholder(row: Any) -> PassholderRow:
    return PassholderRow(
        id=str(row.id),
        region_id=str(row.region_id),
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        postal_code=row.postal_code,
        municipality_nis=row.municipality_nis,
        email=row.email,
        has_insz=row.insz_hash is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def municipalities_of_postal_code(session: AsyncSession, postal_code: str) -> list[str]:
    result = await session.execute(
        sa.select(municipality_postal_codes.c.nis_code)
        .where(municipality_postal_codes.c.postal_code == postal_code)
        .order_by(municipality_postal_codes.c.nis_code)
    )
    return list(result.scalars())


async def postal_codes_of_municipality(session: AsyncSession, nis_code: str) -> list[str]:
    result = await session.execute(
        sa.select(municipality_postal_codes.c.postal_code)
        .where(municipality_postal_codes.c.nis_code == nis_code)
        .order_by(municipality_postal_codes.c.postal_code)
    )
    return list(result.scalars())


async def insert_passholder(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(sa.insert(passholders).values(**values))


async def update_passholder(
    session: AsyncSession, passholder_id: uuid.UUID, values: Mapping[str, Any]
) -> None:
    await session.execute(
        sa.update(passholders).where(passholders.c.id == passholder_id).values(**values)
    )


async def get_passholder(session: AsyncSession, passholder_id: uuid.UUID) -> PassholderRow | None:
    row = (
        await session.execute(sa.select(passholders).where(passholders.c.id == passholder_id))
    ).first()
    return _passholder(row) if row else None


async def id_by_insz_hash(session: AsyncSession, insz_hash: str) -> tuple[str, str] | None:
    """The (id, region_id) of the passholder with this INSZ pseudonym, in any region."""
    row = (
        await session.execute(
            sa.select(passholders.c.id, passholders.c.region_id).where(
                passholders.c.insz_hash == insz_hash
            )
        )
    ).first()
    return (str(row.id), str(row.region_id)) if row else None


async def ids_by_insz_hash(
    session: AsyncSession, region_id: str, insz_hashes: Sequence[str]
) -> dict[str, str]:
    """Passholder id per INSZ pseudonym, for the holders of one region among `insz_hashes`."""
    rows = await session.execute(
        sa.select(passholders.c.id, passholders.c.insz_hash).where(
            passholders.c.region_id == uuid.UUID(region_id),
            passholders.c.insz_hash.in_(list(insz_hashes)),
        )
    )
    return {row.insz_hash: str(row.id) for row in rows.all()}


async def id_by_name_key(
    session: AsyncSession, region_id: str, name_key: str, birth_date: date
) -> str | None:
    value = (
        await session.execute(
            sa.select(passholders.c.id).where(
                passholders.c.region_id == uuid.UUID(region_id),
                passholders.c.name_key == name_key,
                passholders.c.birth_date == birth_date,
            )
        )
    ).scalar_one_or_none()
    return str(value) if value else None


async def search(
    session: AsyncSession,
    *,
    region_ids: Sequence[str] | None,
    insz_hash: str | None = None,
    card_number: str | None = None,
    last_name_key: str | None = None,
    birth_date: date | None = None,
    limit: int = 50,
) -> list[PassholderRow]:
    query = sa.select(passholders).order_by(passholders.c.last_name, passholders.c.id).limit(limit)
    if region_ids is not None:
        query = query.where(passholders.c.region_id.in_([uuid.UUID(r) for r in region_ids]))
    if insz_hash is not None:
        query = query.where(passholders.c.insz_hash == insz_hash)
    if card_number is not None:
        query = query.where(
            passholders.c.id.in_(
                sa.select(cards.c.passholder_id).where(cards.c.number == card_number)
            )
        )
    if birth_date is not None:
        query = query.where(passholders.c.birth_date == birth_date)
    if last_name_key is not None:
        # name_key is "last|first": a prefix match finds every first name.
        query = query.where(passholders.c.name_key.startswith(last_name_key + "|", autoescape=True))
    return [_passholder(row) for row in (await session.execute(query)).all()]


# --- cards -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardRow:
    number: str
    passholder_id: str
    region_id: str
    status: str
    issued_at: datetime
    blocked_at: datetime | None
    block_reason: str | None
    replaced_by: str | None


def _card(row: Any) -> CardRow:
    return CardRow(
        number=row.number,
        passholder_id=str(row.passholder_id),
        region_id=str(row.region_id),
        status=row.status,
        issued_at=row.issued_at,
        blocked_at=row.blocked_at,
        block_reason=row.block_reason,
        replaced_by=row.replaced_by,
    )


async def insert_card(session: AsyncSession, values: Mapping[str, Any]) -> None:
    await session.execute(sa.insert(cards).values(**values))


async def card_number_taken(session: AsyncSession, number: str) -> bool:
    """A person's card or a group card has this number (they share one space of numbers,
    so a desk's card number names one card)."""
    found = await session.execute(
        sa.select(cards.c.number)
        .where(cards.c.number == number)
        .union_all(sa.select(group_cards.c.number).where(group_cards.c.number == number))
    )
    return found.first() is not None


async def get_card(
    session: AsyncSession, number: str, *, for_update: bool = False
) -> CardRow | None:
    query = sa.select(cards).where(cards.c.number == number)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _card(row) if row else None


async def cards_of(session: AsyncSession, passholder_id: uuid.UUID) -> list[CardRow]:
    rows = await session.execute(
        sa.select(cards).where(cards.c.passholder_id == passholder_id).order_by(cards.c.issued_at)
    )
    return [_card(row) for row in rows.all()]


async def set_card_status(
    session: AsyncSession, number: str, expected_status: str, values: Mapping[str, Any]
) -> bool:
    """Change a card only if it still has `expected_status` (no lost updates)."""
    result = await session.execute(
        sa.update(cards)
        .where(cards.c.number == number, cards.c.status == expected_status)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- entitlements ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntitlementRow:
    id: str
    passholder_id: str
    type: str
    region_id: str | None
    valid_from: date
    valid_until: date | None
    suspended_until: date | None
    ended_on: date | None
    evidence: str | None
    source: str
    renews_id: str | None
    created_at: datetime
    updated_at: datetime


def _entitlement(row: Any) -> EntitlementRow:
    return EntitlementRow(
        id=str(row.id),
        passholder_id=str(row.passholder_id),
        type=row.type,
        region_id=str(row.region_id) if row.region_id else None,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        suspended_until=row.suspended_until,
        ended_on=row.ended_on,
        evidence=row.evidence,
        source=row.source,
        renews_id=str(row.renews_id) if row.renews_id else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_entitlements(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(entitlements), [dict(row) for row in rows])


async def entitlements_of(
    session: AsyncSession, passholder_ids: Sequence[uuid.UUID]
) -> list[EntitlementRow]:
    if not passholder_ids:
        return []
    rows = await session.execute(
        sa.select(entitlements)
        .where(entitlements.c.passholder_id.in_(passholder_ids))
        .order_by(entitlements.c.type, entitlements.c.valid_from, entitlements.c.created_at)
    )
    return [_entitlement(row) for row in rows.all()]


async def get_entitlement(
    session: AsyncSession, entitlement_id: uuid.UUID
) -> EntitlementRow | None:
    row = (
        await session.execute(sa.select(entitlements).where(entitlements.c.id == entitlement_id))
    ).first()
    return _entitlement(row) if row else None


async def update_entitlement(
    session: AsyncSession, entitlement_id: uuid.UUID, values: Mapping[str, Any]
) -> None:
    await session.execute(
        sa.update(entitlements).where(entitlements.c.id == entitlement_id).values(**values)
    )
