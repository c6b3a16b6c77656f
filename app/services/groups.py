"""Group cards (groepspas): issued to an organisation, listed, blocked.

A group card belongs to an organisation, not a person: its social workers and its region's
admins issue and block it; a social worker of organisation A finds nothing of organisation
B (404). At the desk it is sold on like a person's card (app.services.quotes.group_quote).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import changes
from app.db import groups as db
from app.db.changes import NewEvent
from app.db.groups import GroupCardRow
from app.domain.access import Principal, Role
from app.domain.cards import BlockReason
from app.domain.groups import GroupCardStatus
from app.errors import NotFound
from app.services.access import ensure
from app.services.cards import unused_card_number
from app.services.lookup import parse_card_field
from app.services.organisations import read_organisation, tenant_of

# Who issues, lists and blocks an organisation's group cards: its own social workers and
# its region's admins.
CARD_KEEPERS = frozenset({Role.ORGANISATION, Role.REGION_ADMIN})


async def issue_group_card(
    session: AsyncSession, principal: Principal, organisation_id: str, *, label: str | None
) -> GroupCardRow:
    organisation = await read_organisation(session, principal, organisation_id, CARD_KEEPERS)
    number = await unused_card_number(session)
    now = utcnow()
    await db.insert_group_card(
        session,
        number=number,
        organisation_id=organisation.id,
        label=label,
        issued_by=principal.client_id,
        now=now,
    )
    await changes.record(
        session,
        [
            NewEvent(
                organisation.region_id,
                "group_card.issued",
                number,
                {"organisation_id": organisation.id},
            )
        ],
        now,
    )
    card = await db.get_group_card(session, number)
    assert card is not None
    return card


async def list_group_cards(
    session: AsyncSession, principal: Principal, organisation_id: str
) -> list[GroupCardRow]:
    organisation = await read_organisation(session, principal, organisation_id, CARD_KEEPERS)
    return await db.list_group_cards(session, organisation.id)


async def block_group_card(
    session: AsyncSession,
    principal: Principal,
    organisation_id: str,
    number_text: str,
    reason: BlockReason,
) -> GroupCardRow:
    """Block a group card (lost, stolen, defect): no desk sells on it any more. A blocked
    card is answered as it is (a retry)."""
    organisation = await read_organisation(session, principal, organisation_id, CARD_KEEPERS)
    number = parse_card_field(number_text, pointer="/number")
    card = await db.get_group_card(session, number, for_update=True)
    if card is None or card.organisation_id != organisation.id:
        raise NotFound(
            "No group card of this organisation with this number.", code="card-not-found"
        )
    ensure(principal, CARD_KEEPERS, tenant_of(organisation), hide=True)
    if card.status == GroupCardStatus.ACTIVE:
        now = utcnow()
        await db.block_group_card(session, number, reason.value, now)
        await changes.record(
            session,
            [
                NewEvent(
                    organisation.region_id,
                    "group_card.blocked",
                    number,
                    {"organisation_id": organisation.id, "reason": reason.value},
                )
            ],
            now,
        )
    found = await db.get_group_card(session, number)
    assert found is not None
    return found
