"""Typed factories for report tests: sales written straight to the tables.

A sale line is written exactly as the sale service writes one: `discount_cents` is the
reduction per ticket, `total_cents` = unit price × quantity, and the funding rows cover the
whole line, split with the domain's own `split_discount` so they add up to
`discount_cents × quantity` cent for cent. The monthly settlement sums follow the sale as the
service keeps them: a confirmed sale is added, a cancelled one added and taken off again.
"""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import openpyxl
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import date_in_brussels
from app.db import settlement
from app.db.regions import RegionRow
from app.db.tables import (
    cards,
    entitlements,
    offers,
    passholders,
    pending_entitlements,
    sale_item_funding,
    sale_items,
    sales,
)
from app.domain.funding import FundingKey, PayerRefs, ShareRule, split_discount
from app.domain.reports import settlement_day
from app.spreadsheets import XLSX_MEDIA_TYPE

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
_numbers = itertools.count(1)

# Kortrijk's "20-40-40": the partner forgoes half the discount, the owner region the rest.
TWENTY_FORTY_FORTY: FundingKey = (
    ShareRule("partner", percent=Decimal(50)),
    ShareRule("scheme_owner", rest=True),
)
# A three-way key with a rounding remainder on most prices.
THIRDS: FundingKey = (
    ShareRule("partner", percent=Decimal("33.33")),
    ShareRule("home_municipality", percent=Decimal("33.33")),
    ShareRule("scheme_owner", rest=True),
)


async def a_passholder(
    session: AsyncSession,
    region: RegionRow,
    *,
    municipality_nis: str | None = None,
    insz_hash: str | None = None,
) -> str:
    number = next(_numbers)
    holder_id = uuid.uuid4()
    await session.execute(
        sa.insert(passholders).values(
            id=holder_id,
            region_id=uuid.UUID(region.id),
            first_name="Test",
            last_name=f"Persoon{number}",
            name_key=f"persoon{number}|test",
            birth_date=date(1980, 1, 1) + timedelta(days=number),
            postal_code=region.municipalities[0].postal_codes[0],
            municipality_nis=municipality_nis or region.municipalities[0].nis_code,
            insz_hash=insz_hash,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    return str(holder_id)


async def some_passholders(session: AsyncSession, region: RegionRow, count: int) -> list[str]:
    return [await a_passholder(session, region) for _ in range(count)]


async def an_offer(session: AsyncSession, partner_id: str, *, category: str = "podium") -> str:
    offer_id = uuid.uuid4()
    await session.execute(
        sa.insert(offers).values(
            id=offer_id,
            partner_id=uuid.UUID(partner_id),
            title=f"Voorstelling {next(_numbers)}",
            category=category,
            kind="permanent",
            created_at=NOW,
        )
    )
    return str(offer_id)


@dataclass(frozen=True, slots=True)
class Share:
    """A funding row given by hand (for a line that stacks several schemes)."""

    scheme_code: str
    payer: str
    payer_ref: str | None
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Line:
    """One sale line: `quantity` tickets at `unit_price_cents` instead of `regular_price_cents`.

    The funding rows come from `funding_key` (split like the price calculation splits it),
    or from `shares` when given.
    """

    passholder_id: str
    offer_id: str
    activity_date: date
    regular_price_cents: int = 11_900
    unit_price_cents: int = 2_380
    quantity: int = 1
    scheme_code: str = "KORTRIJK_KANSENTARIEF"
    funding_key: FundingKey = TWENTY_FORTY_FORTY
    municipality_nis: str = "34022"
    scheme_owner_ref: str | None = "REGIO_KORTRIJK"
    shares: tuple[Share, ...] | None = None
    parts: tuple[tuple[str, int], ...] = field(default=())

    @property
    def discount_cents(self) -> int:
        return self.regular_price_cents - self.unit_price_cents


@dataclass(frozen=True, slots=True)
class WrittenLine:
    line: Line
    item_id: str
    funding: tuple[Share, ...]


@dataclass(frozen=True, slots=True)
class WrittenSale:
    id: str
    partner_id: str
    status: str
    lines: tuple[WrittenLine, ...]


def _shares(line: Line, partner_id: str) -> tuple[Share, ...]:
    if line.shares is not None:
        return line.shares
    split = split_discount(
        line.discount_cents * line.quantity,
        line.funding_key,
        quantity=line.quantity,
        refs=PayerRefs(partner_id, line.municipality_nis, line.scheme_owner_ref),
        scheme_code=line.scheme_code,
    )
    return tuple(Share(s.scheme_code, s.payer, s.payer_ref, s.amount_cents) for s in split)


async def a_sale(
    session: AsyncSession,
    partner_id: str,
    lines: Sequence[Line],
    *,
    status: str = "confirmed",
    client_id: str = "test-desk",
    sums: bool = True,
) -> WrittenSale:
    """A sale in `status` (confirmed, held, cancelled or expired) with its lines.

    `sums=False` leaves the monthly settlement sums and the lines' settlement days alone (a
    database migrated to before they existed).
    """
    sale_id = uuid.uuid4()
    confirmed = status in ("confirmed", "cancelled")
    await session.execute(
        sa.insert(sales).values(
            id=sale_id,
            partner_id=uuid.UUID(partner_id),
            client_id=client_id,
            status=status,
            created_at=NOW,
            hold_expires_at=NOW + timedelta(minutes=15) if status in ("held", "expired") else None,
            confirmed_at=NOW if status in ("confirmed", "cancelled") else None,
            cancelled_at=NOW if status == "cancelled" else None,
        )
    )
    written = []
    for line in lines:
        item_id = uuid.uuid4()
        parts = line.parts or ((line.scheme_code, line.discount_cents),)
        await session.execute(
            sa.insert(sale_items).values(
                id=item_id,
                sale_id=sale_id,
                passholder_id=uuid.UUID(line.passholder_id),
                card_number="0000000000000",
                offer_id=uuid.UUID(line.offer_id),
                price_class="standard",
                municipality_nis=line.municipality_nis,
                scheme_code=line.scheme_code,
                scheme_version=1,
                parts=[
                    {"code": code, "version": 1, "discount_cents": discount}
                    for code, discount in parts
                ],
                label=line.scheme_code.title(),
                quantity=line.quantity,
                regular_price_cents=line.regular_price_cents,
                unit_price_cents=line.unit_price_cents,
                total_cents=line.unit_price_cents * line.quantity,
                discount_cents=line.discount_cents,
                activity_date=line.activity_date,
                # Counted (and, cancelled, taken off) on the activity date, as if confirmed
                # and cancelled while its month ran; the reports read these days, not
                # `confirmed_at` and `cancelled_at` (NOW whatever the activity).
                **(
                    {
                        "counted_on": line.activity_date if confirmed else None,
                        "uncounted_on": line.activity_date if status == "cancelled" else None,
                    }
                    if sums
                    else {}
                ),
            )
        )
        shares = _shares(line, partner_id)
        assert sum(s.amount_cents for s in shares) == line.discount_cents * line.quantity
        if shares:
            await session.execute(
                sa.insert(sale_item_funding),
                [
                    {
                        "sale_item_id": item_id,
                        "scheme_code": s.scheme_code,
                        "payer": s.payer,
                        "payer_ref": s.payer_ref,
                        "amount_cents": s.amount_cents,
                    }
                    for s in shares
                ],
            )
        written.append(WrittenLine(line, str(item_id), shares))
    if sums and confirmed:
        await settlement.add_sale(session, sale_id, +1)
    if sums and status == "cancelled":
        await settlement.add_sale(session, sale_id, -1)
    return WrittenSale(str(sale_id), partner_id, status, tuple(written))


async def an_entitlement(
    session: AsyncSession,
    passholder_id: str,
    *,
    region_id: str | None,
    valid_from: date,
    valid_until: date | None = None,
    suspended_until: date | None = None,
    ended_on: date | None = None,
    type: str = "kansenstatuut",
) -> None:
    await session.execute(
        sa.insert(entitlements).values(
            id=uuid.uuid4(),
            passholder_id=uuid.UUID(passholder_id),
            type=type,
            region_id=uuid.UUID(region_id) if region_id else None,
            valid_from=valid_from,
            valid_until=valid_until,
            suspended_until=suspended_until,
            ended_on=ended_on,
            source="test",
            created_at=NOW,
            updated_at=NOW,
        )
    )


async def a_card(
    session: AsyncSession, passholder_id: str, region_id: str, *, status: str = "active"
) -> str:
    number = f"{next(_numbers):013d}"
    await session.execute(
        sa.insert(cards).values(
            number=number,
            passholder_id=uuid.UUID(passholder_id),
            region_id=uuid.UUID(region_id),
            status=status,
            issued_at=NOW,
        )
    )
    return number


async def a_pending_entitlement(
    session: AsyncSession,
    region_id: str,
    insz_hash: str,
    *,
    valid_from: date,
    valid_until: date | None = None,
    applied: bool = False,
    type: str = "kansenstatuut",
) -> None:
    await session.execute(
        sa.insert(pending_entitlements).values(
            id=uuid.uuid4(),
            insz_hash=insz_hash,
            type=type,
            region_id=uuid.UUID(region_id),
            valid_from=valid_from,
            valid_until=valid_until,
            source="test",
            created_at=NOW,
            applied_at=NOW if applied else None,
        )
    )


BOM = b"\xef\xbb\xbf"


def read_csv(response: httpx.Response) -> list[list[str]]:
    """A report's CSV answer as rows of cells, read as a Belgian spreadsheet would: UTF-8
    after its byte-order mark, `;` between cells in Dutch, French and German, `,` in English."""
    assert response.content.startswith(BOM), response.content[:20]
    delimiter = "," if response.headers["content-language"] == "en" else ";"
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def read_xlsx(response: httpx.Response) -> tuple[str, list[list[object]]]:
    """A report's XLSX answer: the sheet's title and its rows of typed values."""
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet is not None
    return sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]


def cents(text: str) -> int:
    """A CSV amount in euros ("238,00" or "238.00") as cents."""
    whole, _, part = text.replace(",", ".").partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(part or 0))


async def settle_at(session: AsyncSession, sale_id: str, status: str, at: datetime) -> None:
    """A written sale confirmed (`status` confirmed) or a confirmed one cancelled at `at`,
    as the sale service books it in the settlement: its lines counted (or taken off) on
    their settlement day of `at`'s Brussels date."""
    key = uuid.UUID(sale_id)
    moment = "confirmed_at" if status == "confirmed" else "cancelled_at"
    await session.execute(
        sa.update(sales).where(sales.c.id == key).values({"status": status, moment: at})
    )
    on = date_in_brussels(at)
    days = {
        str(line): settlement_day(activity, on)
        for line, activity in await session.execute(
            sa.select(sale_items.c.id, sale_items.c.activity_date).where(
                sale_items.c.sale_id == key
            )
        )
    }
    await settlement.book(session, key, +1 if status == "confirmed" else -1, days)
