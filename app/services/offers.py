"""Offers of partners, and their public price list for a qualifying holder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels, utcnow
from app.db import offers as db
from app.db import partners as db_partners
from app.db import regions as db_regions
from app.db.offers import OfferRow, PriceClassRow
from app.db.schemes import bump_generation
from app.domain.access import Principal, Role, Tenant
from app.domain.facts import PriceClass
from app.domain.offers import (
    brussels_midnight,
    dates_problem,
    nearest_first_key,
    on_sale,
    open_price_problem,
    widens_open_price,
)
from app.domain.pricing import Quote, price
from app.domain.schemes import SchemeDefinition
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.services.access import ensure
from app.services.catalog import CATALOG
from app.services.partners import READERS as PARTNER_READERS
from app.services.partners import read_partner
from app.services.quotes import (
    DESKS,
    forget_offers,
    fresh_offer,
    load_offer,
    offer_facts,
    pick_price_class,
)
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
    open_price: bool = False
    max_price_cents: int | None = None


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
    if partner.archived_at is not None:
        raise Conflict("This partner is archived: it gets no new offers.", code="partner-archived")
    _check_dates(offer.kind, offer.starts_at, offer.ends_at)
    _check_open_price(offer.open_price, offer.max_price_cents, offer.price_classes)
    _may_widen(
        principal,
        partner.region_id,
        (False, None),
        (offer.open_price, offer.max_price_cents),
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
            "open_price": offer.open_price,
            "max_price_cents": offer.max_price_cents,
            "created_at": utcnow(),
        },
        classes=offer.price_classes,
    )
    return await load_offer(session, str(offer_id))


def _check_dates(kind: str, starts_at: datetime | None, ends_at: datetime | None) -> None:
    problem = dates_problem(kind, starts_at, ends_at)
    if problem is not None:
        field, detail = problem
        raise Unprocessable(
            f"{field}: {detail}.", extra={"errors": [{"pointer": f"/{field}", "detail": detail}]}
        )


def _check_open_price(
    open_price: bool, max_price_cents: int | None, classes: tuple[PriceClassRow, ...]
) -> None:
    problem = open_price_problem(
        open_price, max_price_cents, {pc.code: pc.price_cents for pc in classes}
    )
    if problem is not None:
        pointer, detail = problem
        raise Unprocessable(
            f"{pointer.removeprefix('/')}: {detail}.",
            extra={"errors": [{"pointer": pointer, "detail": detail}]},
        )


# Who may open an offer's price or raise its maximum: the region whose schemes pay back.
OPEN_PRICE_GRANTERS = frozenset({Role.REGION_ADMIN})


def _may_widen(
    principal: Principal,
    region_id: str,
    before: tuple[bool, int | None],
    after: tuple[bool, int | None],
) -> None:
    if widens_open_price(before, after) and not principal.may(
        OPEN_PRICE_GRANTERS, Tenant(region_id=region_id)
    ):
        raise Forbidden(
            "Opening an offer's price or raising its max_price_cents takes the region's"
            " admin: the region's schemes pay back what the maximum allows.",
            code="open-price-needs-region",
        )


OFFER_STATUSES = ("active", "archived", "all")


@dataclass(frozen=True, slots=True)
class OfferQuery:
    """What a list of offers is filtered on: their category, whether they are archived
    (`status`), and a period of Brussels days [`from_date`, `to_date`)."""

    category: str | None = None
    status: str = "active"
    from_date: date | None = None
    to_date: date | None = None


@dataclass(frozen=True, slots=True)
class OfferPage:
    items: list[OfferRow]
    # The last offer's place when there are more: (start, id).
    next_after: tuple[datetime, str] | None


async def partner_offers(
    session: AsyncSession,
    principal: Principal,
    partner_id: uuid.UUID,
    query: OfferQuery,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> OfferPage:
    """A partner's offers, for the partner's roles and its region's admin (to anyone
    else the partner does not exist)."""
    partner = await read_partner(session, principal, partner_id)
    where = _filter(query, partner_ids=[uuid.UUID(partner.id)])
    return await _page(session, where, after=after, limit=limit)


async def region_offers(
    session: AsyncSession,
    principal: Principal,
    region_id: uuid.UUID,
    query: OfferQuery,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> OfferPage:
    """The offers of a region's partners: all of them for the region's admin; for a
    partner's roles, those of their own partners in the region."""
    partner_ids: list[uuid.UUID] | None = None
    if not principal.may(PARTNER_READERS, Tenant(region_id=str(region_id))):
        own = principal.partner_ids(PARTNER_READERS)
        if not own:
            ensure(principal, PARTNER_READERS, Tenant(region_id=str(region_id)), hide=False)
        partner_ids = [uuid.UUID(p) for p in sorted(own)]
    where = _filter(query, partner_ids=partner_ids, region_ids=[region_id])
    return await _page(session, where, after=after, limit=limit)


def _filter(
    query: OfferQuery,
    *,
    partner_ids: list[uuid.UUID] | None = None,
    region_ids: list[uuid.UUID] | None = None,
) -> db.OfferFilter:
    return db.OfferFilter(
        partner_ids=partner_ids,
        region_ids=region_ids,
        category=query.category,
        archived=None if query.status == "all" else query.status == "archived",
        starts=None if query.from_date is None else brussels_midnight(query.from_date),
        ends=None if query.to_date is None else brussels_midnight(query.to_date),
    )


async def _page(
    session: AsyncSession,
    where: db.OfferFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> OfferPage:
    found = await db.list_offers(session, where, after=after, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if more and found else None
    return OfferPage(found, None if last is None else (db.start_key(last), last.id))


async def read_offer(session: AsyncSession, offer_id: str) -> OfferRow:
    """One offer as the database has it now (public)."""
    return await fresh_offer(session, offer_id)


async def _editable_offer(session: AsyncSession, principal: Principal, offer_id: str) -> OfferRow:
    offer = await fresh_offer(session, offer_id)
    ensure(
        principal,
        OFFER_EDITORS,
        Tenant(region_id=offer.partner_region_id, partner_id=offer.partner_id),
        hide=False,
    )
    return offer


async def update_offer(
    session: AsyncSession,
    principal: Principal,
    offer_id: str,
    changes: dict[str, Any],
    classes: tuple[PriceClassRow, ...] | None,
) -> OfferRow:
    """Change an offer's fields (`changes`) and, when given, its price classes. Quotes in
    every process see the change with their next card (the generation is bumped)."""
    offer = await _editable_offer(session, principal, offer_id)
    merged = {
        "kind": offer.kind,
        "starts_at": offer.starts_at,
        "ends_at": offer.ends_at,
        **{k: v for k, v in changes.items() if k in ("kind", "starts_at", "ends_at")},
    }
    _check_dates(merged["kind"], merged["starts_at"], merged["ends_at"])
    if changes.get("open_price") is False and "max_price_cents" not in changes:
        # Closing the price drops the maximum with it: a fixed-price offer has none.
        changes = {**changes, "max_price_cents": None}
    terms = (
        changes.get("open_price", offer.open_price),
        changes.get("max_price_cents", offer.max_price_cents),
    )
    _check_open_price(*terms, offer.price_classes if classes is None else classes)
    _may_widen(principal, offer.partner_region_id, (offer.open_price, offer.max_price_cents), terms)
    await db.update_offer(session, uuid.UUID(offer.id), changes, classes)
    await bump_generation(session)
    forget_offers([offer.id])
    return await fresh_offer(session, offer.id)


async def archive_offer(session: AsyncSession, principal: Principal, offer_id: str) -> OfferRow:
    """Archive an offer: its sales and settlement stay; quotes, sales and check-ins on it
    are refused (`offer-archived`), in every process from its next card on."""
    offer = await _editable_offer(session, principal, offer_id)
    await db.archive_offer(session, uuid.UUID(offer.id), utcnow())
    await bump_generation(session)
    forget_offers([offer.id])
    return await fresh_offer(session, offer.id)


@dataclass(frozen=True, slots=True)
class PublicPrices:
    offer: OfferRow
    quotes: tuple[tuple[PriceClassRow, Quote], ...]
    schemes: dict[str, SchemeDefinition]
    who: dict[str, dict[str, str]]


async def public_prices(
    session: AsyncSession, offer_id: str, regular_price_cents: int | None = None
) -> PublicPrices:
    """Per price class, each scheme's tariff for a holder who qualifies and has used none
    of its limits: what a partner's website shows next to the regular price.

    An open-price offer's list is at its price classes' prices, or at
    `regular_price_cents` when given (what a webshop shows next to a seat it priced
    itself), checked as a quote checks it (app.services.quotes.pick_price_class)."""
    offer = await fresh_offer(session, offer_id)
    if regular_price_cents is not None:
        classes = tuple(
            pick_price_class(offer, pc.code, regular_price_cents) for pc in offer.price_classes
        )
        offer = replace(offer, price_classes=classes)
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
