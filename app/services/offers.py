"""Offers of partners, and their public price list for a qualifying holder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels, utcnow
from app.db import offers as db
from app.db import partners as db_partners
from app.db import regions as db_regions
from app.db.offers import OfferRow, PriceClassRow
from app.domain.access import Principal, Role, Tenant
from app.domain.facts import PriceClass
from app.domain.offers import nearest_first_key, on_sale
from app.domain.pricing import Quote, price
from app.domain.schemes import SchemeDefinition
from app.errors import NotFound, Unprocessable
from app.services.access import ensure
from app.services.catalog import CATALOG
from app.services.quotes import DESKS, load_offer, offer_facts
from app.services.schemes import place_names, summaries

OFFER_EDITORS = frozenset({Role.PARTNER_ADMIN, Role.REGION_ADMIN})


@dataclass(frozen=True, slots=True)
class NewOffer:
    title: str
    category: str
    kind: str
    starts_at: datetime | None
    ends_at: datetime | None
    external_ref: str | None
    price_classes: tuple[PriceClassRow, ...]


async def create_offer(
    session: AsyncSession,
    principal: Principal,
    partner_id: str,
    offer: NewOffer,
    offer_id: uuid.UUID | None = None,
) -> OfferRow:
    try:
        partner_key = uuid.UUID(partner_id)
    except ValueError:
        raise NotFound(f"No partner {partner_id[:64]!r}.") from None
    partner = await db_partners.get_partner(session, partner_key)
    if partner is None:
        raise NotFound(f"No partner {partner_id}.")
    ensure(
        principal,
        OFFER_EDITORS,
        Tenant(region_id=partner.region_id, partner_id=partner.id),
        hide=False,
    )
    if offer.kind == "one_off" and offer.starts_at is None:
        raise Unprocessable(
            "A one-off activity needs starts_at.",
            extra={"errors": [{"pointer": "/starts_at", "detail": "required for one_off"}]},
        )
    if offer.starts_at and offer.ends_at and offer.ends_at < offer.starts_at:
        raise Unprocessable(
            "ends_at lies before starts_at.",
            extra={"errors": [{"pointer": "/ends_at", "detail": "before starts_at"}]},
        )
    offer_id = offer_id or uuid.uuid4()
    await db.insert_offer(
        session,
        offer_id=offer_id,
        partner_id=partner_key,
        values={
            "title": offer.title,
            "category": offer.category,
            "kind": offer.kind,
            "starts_at": offer.starts_at,
            "ends_at": offer.ends_at,
            "external_ref": offer.external_ref,
            "created_at": utcnow(),
        },
        classes=offer.price_classes,
    )
    return await load_offer(session, str(offer_id))


@dataclass(frozen=True, slots=True)
class PublicPrices:
    offer: OfferRow
    quotes: tuple[tuple[PriceClassRow, Quote], ...]
    schemes: dict[str, SchemeDefinition]
    who: dict[str, dict[str, str]]


async def public_prices(session: AsyncSession, offer_id: str) -> PublicPrices:
    """Per price class, each scheme's tariff for a holder who qualifies and has used none
    of its limits: what a partner's website shows next to the regular price."""
    offer = await load_offer(session, offer_id)
    catalog = await CATALOG.get(session)
    facts = offer_facts(offer)
    day = today_in_brussels()
    quotes = tuple(
        (
            pc,
            price(
                offer=facts,
                price_class=PriceClass(pc.code, pc.price_cents),
                holder=None,
                at=day,
                quantity=1,
                usage={},
                schemes=catalog.schemes,
            ),
        )
        for pc in offer.price_classes
    )
    used = {t.scheme_code for _, quote in quotes for t in quote.tariffs}
    by_code = {scheme.code: scheme for scheme in catalog.schemes if scheme.code in used}
    names = place_names(await db_regions.get_regions(session))
    who = {code: summaries(scheme, names) for code, scheme in by_code.items()}
    return PublicPrices(offer, quotes, by_code, who)


async def desk_offers(
    session: AsyncSession, principal: Principal, partner_id: str
) -> list[OfferRow]:
    """The partner's offers a desk sells now, the nearest first (app.domain.offers)."""
    ensure(principal, DESKS, Tenant(partner_id=partner_id), hide=False)
    now = utcnow()
    rows = await db.partner_offers(session, uuid.UUID(partner_id))
    selling = [r for r in rows if on_sale(r.kind, r.starts_at, r.ends_at, now)]
    return sorted(selling, key=lambda r: nearest_first_key(r.kind, r.starts_at, r.title, now))
