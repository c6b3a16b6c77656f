"""Offers with their price classes, and the partner facts the price calculation needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import offers, partners, price_classes, regions


@dataclass(frozen=True, slots=True)
class PriceClassRow:
    code: str
    label: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class OfferRow:
    id: str
    partner_id: str
    partner_name: str
    partner_region_id: str
    partner_region_code: str
    partner_municipality_nis: str
    cancellation_window_hours: int
    title: str
    category: str
    kind: str
    starts_at: datetime | None
    ends_at: datetime | None
    external_ref: str | None
    created_at: datetime
    price_classes: tuple[PriceClassRow, ...]

    def price_class(self, code: str) -> PriceClassRow | None:
        return next((pc for pc in self.price_classes if pc.code == code), None)


async def insert_offer(
    session: AsyncSession,
    *,
    offer_id: uuid.UUID,
    partner_id: uuid.UUID,
    values: dict[str, Any],
    classes: Sequence[PriceClassRow],
) -> None:
    await session.execute(sa.insert(offers).values(id=offer_id, partner_id=partner_id, **values))
    await session.execute(
        sa.insert(price_classes),
        [
            {
                "offer_id": offer_id,
                "code": pc.code,
                "label": pc.label,
                "price_cents": pc.price_cents,
                "position": position,
            }
            for position, pc in enumerate(classes)
        ],
    )


_OFFER_WITH_PARTNER = (
    sa.select(
        offers,
        partners.c.name.label("partner_name"),
        partners.c.region_id.label("partner_region_id"),
        partners.c.municipality_nis.label("partner_municipality_nis"),
        partners.c.cancellation_window_hours,
        regions.c.code.label("partner_region_code"),
        price_classes.c.code.label("class_code"),
        price_classes.c.label.label("class_label"),
        price_classes.c.price_cents.label("class_price_cents"),
    )
    .join(partners, partners.c.id == offers.c.partner_id)
    .join(regions, regions.c.id == partners.c.region_id)
    .outerjoin(price_classes, price_classes.c.offer_id == offers.c.id)
    .order_by(price_classes.c.position)
)


async def get_offer(session: AsyncSession, offer_id: uuid.UUID) -> OfferRow | None:
    """The offer, its partner's region and municipality, and its price classes: one query."""
    rows = (await session.execute(_OFFER_WITH_PARTNER.where(offers.c.id == offer_id))).all()
    if not rows:
        return None
    return _offer_of(rows)


async def partner_offers(session: AsyncSession, partner_id: uuid.UUID) -> list[OfferRow]:
    """Every offer of a partner with its price classes: one query."""
    rows = (
        await session.execute(_OFFER_WITH_PARTNER.where(offers.c.partner_id == partner_id))
    ).all()
    by_offer: dict[object, list[Any]] = {}
    for row in rows:
        by_offer.setdefault(row.id, []).append(row)
    return [_offer_of(group) for group in by_offer.values()]


def _offer_of(rows: Sequence[Any]) -> OfferRow:
    row = rows[0]
    return OfferRow(
        id=str(row.id),
        partner_id=str(row.partner_id),
        partner_name=row.partner_name,
        partner_region_id=str(row.partner_region_id),
        partner_region_code=row.partner_region_code,
        partner_municipality_nis=row.partner_municipality_nis,
        cancellation_window_hours=row.cancellation_window_hours,
        title=row.title,
        category=row.category,
        kind=row.kind,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        external_ref=row.external_ref,
        created_at=row.created_at,
        price_classes=tuple(
            PriceClassRow(r.class_code, r.class_label, r.class_price_cents)
            for r in rows
            if r.class_code is not None
        ),
    )
