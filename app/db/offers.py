"""Offers with their price classes, and the partner facts the price calculation needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
    archived_at: datetime | None = None
    partner_archived_at: datetime | None = None
    # Sold at the regular price the desk gives, up to `max_price_cents` (app.domain.offers).
    open_price: bool = False
    max_price_cents: int | None = None

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
        partners.c.archived_at.label("partner_archived_at"),
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


@dataclass(frozen=True, slots=True)
class OfferFilter:
    """Which offers a list shows; None: not filtered on it. The period is [`starts`,
    `ends`): an offer without dates (permanent) lies in every period."""

    partner_ids: Sequence[uuid.UUID] | None = None
    region_ids: Sequence[uuid.UUID] | None = None
    category: str | None = None
    archived: bool | None = None
    starts: datetime | None = None
    ends: datetime | None = None


# Offers are listed by when they start (those without a date first), then by id.
_START_KEY = sa.func.coalesce(offers.c.starts_at, sa.literal(datetime(1, 1, 1, tzinfo=UTC)))


async def list_offers(
    session: AsyncSession,
    where: OfferFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[OfferRow]:
    """One page of offers with their price classes, keyset-paged on (start, id)."""
    page = sa.select(offers.c.id).join(partners, partners.c.id == offers.c.partner_id)
    if where.partner_ids is not None:
        page = page.where(offers.c.partner_id.in_(where.partner_ids))
    if where.region_ids is not None:
        page = page.where(partners.c.region_id.in_(where.region_ids))
    if where.category is not None:
        page = page.where(offers.c.category == where.category)
    if where.archived is not None:
        archived = offers.c.archived_at.is_not(None)
        page = page.where(archived if where.archived else sa.not_(archived))
    if where.ends is not None:
        page = page.where(sa.or_(offers.c.starts_at.is_(None), offers.c.starts_at < where.ends))
    if where.starts is not None:
        last = sa.func.coalesce(offers.c.ends_at, offers.c.starts_at)
        page = page.where(sa.or_(last.is_(None), last >= where.starts))
    if after is not None:
        page = page.where(sa.tuple_(_START_KEY, offers.c.id) > sa.tuple_(*after))
    ids = list(
        (await session.execute(page.order_by(_START_KEY, offers.c.id).limit(limit))).scalars()
    )
    if not ids:
        return []
    rows = (await session.execute(_OFFER_WITH_PARTNER.where(offers.c.id.in_(ids)))).all()
    by_offer: dict[object, list[Any]] = {}
    for row in rows:
        by_offer.setdefault(row.id, []).append(row)
    return [_offer_of(by_offer[offer_id]) for offer_id in ids]


def start_key(offer: OfferRow) -> datetime:
    """The offer's place in a list (see list_offers): for its cursor."""
    return offer.starts_at or datetime(1, 1, 1, tzinfo=UTC)


async def update_offer(
    session: AsyncSession,
    offer_id: uuid.UUID,
    values: dict[str, Any],
    classes: Sequence[PriceClassRow] | None,
) -> None:
    """Change an offer; `classes`, when given, replace its price classes (sales keep the
    code and prices they were sold at)."""
    if values:
        await session.execute(sa.update(offers).where(offers.c.id == offer_id).values(**values))
    if classes is not None:
        await session.execute(sa.delete(price_classes).where(price_classes.c.offer_id == offer_id))
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


async def archive_offer(session: AsyncSession, offer_id: uuid.UUID, now: datetime) -> None:
    """Archive once: a second archive keeps the first moment."""
    await session.execute(
        sa.update(offers)
        .where(offers.c.id == offer_id, offers.c.archived_at.is_(None))
        .values(archived_at=now)
    )


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
        archived_at=row.archived_at,
        partner_archived_at=row.partner_archived_at,
        open_price=row.open_price,
        max_price_cents=row.max_price_cents,
    )
