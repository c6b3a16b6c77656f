"""Loading and parsing shared by the registry's use cases."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import passholders as db
from app.db.passholders import PassholderRow
from app.domain.access import Principal, Role, Tenant
from app.domain.cards import InvalidCardNumber, parse_card_number
from app.domain.insz import Insz, InvalidInsz, parse_insz
from app.errors import NotFound, Unprocessable
from app.services.access import ensure

REGISTRY = frozenset({Role.REGISTRY})


def field_error(pointer: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"{pointer.lstrip('/')}: {message}",
        extra={"errors": [{"pointer": pointer, "detail": message}]},
    )


def parse_insz_field(text: str, birth_date: date | None) -> Insz:
    try:
        insz = parse_insz(text)
    except InvalidInsz as error:
        raise field_error("/insz", str(error)) from None
    encoded = insz.birth_date()
    if birth_date is not None and encoded is not None and encoded != birth_date:
        raise field_error("/insz", "the INSZ does not match the birth date")
    return insz


def parse_card_field(text: str, pointer: str = "/card_number") -> str:
    try:
        return parse_card_number(text)
    except InvalidCardNumber as error:
        raise Unprocessable(
            f"{pointer.lstrip('/')}: {error}",
            code="invalid-card-number",
            extra={"errors": [{"pointer": pointer, "detail": str(error)}]},
        ) from None


async def load_for(
    session: AsyncSession, principal: Principal, passholder_id: str
) -> PassholderRow:
    """The passholder, if the principal is a registry of their home region (else 404)."""
    try:
        key = uuid.UUID(passholder_id)
    except ValueError:
        raise NotFound(f"No passholder {passholder_id[:64]!r}.") from None
    row = await db.get_passholder(session, key)
    if row is None:
        raise NotFound(f"No passholder {passholder_id}.")
    ensure(principal, REGISTRY, Tenant(region_id=row.region_id), hide=True)
    return row
