"""Group cards (groepspas): a card of an organisation, quoted at the desk with the group
schemes only, selling up to the scheme's max_group_size at once, every ticket out of the
organisation's allocation — the one its vouchers take theirs from."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from app.clock import today_in_brussels
from app.db import reports as db_reports
from app.db.reports import Scope
from app.db.tables import audit_log
from app.domain.access import Role
from app.domain.reports import calendar_year_of
from tests.api.support_organisations import (
    OrganisationWorld,
    an_allocation,
    an_organisation_world,
)
from tests.api.test_auth import assert_problem
from tests.factories import a_region, bearer_for, catalog_scheme, with_schemes

GROUP_SCHEME = "GROEPSPAS_SCHOOL"  # €2 a pupil, max_group_size 30, schools only


async def _group_world(
    session: AsyncSession, client: httpx.AsyncClient, *, tickets: int | None = 40
) -> tuple[OrganisationWorld, str, dict[str, Any] | None]:
    """The organisation world; the school's (its second organisation's) group card, and an
    allocation of `tickets` under the group scheme (None: no allocation)."""
    world = await an_organisation_world(session, client, price_cents=1_500)
    await with_schemes(session, catalog_scheme(GROUP_SCHEME, None))
    card = await client.post(
        f"/v1/organisations/{world.other_organisation_id}/cards",
        headers=world.other_social_worker,
        json={"label": "Klas 5B"},
    )
    assert card.status_code == 201, card.text
    allocation = None
    if tickets is not None:
        allocation = await an_allocation(
            client,
            world,
            tickets=tickets,
            organisation_id=world.other_organisation_id,
            scheme_code=GROUP_SCHEME,
        )
    return world, card.json()["number"], allocation


async def _quote(
    client: httpx.AsyncClient, world: OrganisationWorld, card: str, quantity: int, **headers: str
) -> httpx.Response:
    return await client.post(
        "/v1/quotes",
        headers={**world.desk, **headers},
        json={
            "card_number": card,
            "offer_id": world.offer_id,
            "price_class": "standard",
            "quantity": quantity,
        },
    )


async def _sell(
    client: httpx.AsyncClient,
    world: OrganisationWorld,
    card: str,
    tariff_id: str,
    quantity: int,
    **headers: str,
) -> httpx.Response:
    return await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex, **headers},
        json={
            "items": [
                {
                    "card_number": card,
                    "offer_id": world.offer_id,
                    "price_class": "standard",
                    "tariff_id": tariff_id,
                    "quantity": quantity,
                }
            ]
        },
    )


async def _allocation(
    client: httpx.AsyncClient, world: OrganisationWorld, allocation_id: str
) -> dict[str, Any]:
    listed = await client.get(
        f"/v1/organisations/{world.other_organisation_id}/allocations",
        headers=world.region_admin,
    )
    [found] = [a for a in listed.json()["items"] if a["id"] == allocation_id]
    return dict(found)


async def test_a_school_gets_a_group_card_with_a_card_number_of_its_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, _ = await _group_world(session, client)
    assert len(number) == 13
    assert luhn.is_valid(number)
    assert number != world.desk_world.card_number
    listed = await client.get(
        f"/v1/organisations/{world.other_organisation_id}/cards", headers=world.region_admin
    )
    assert listed.status_code == 200
    [card] = listed.json()["items"]
    assert card["number"] == number
    assert card["organisation_id"] == world.other_organisation_id
    assert card["label"] == "Klas 5B"
    assert card["status"] == "active"
    assert card["blocked_at"] is None
    # The region admin issues one too.
    second = await client.post(
        f"/v1/organisations/{world.other_organisation_id}/cards",
        headers=world.region_admin,
        json={},
    )
    assert second.status_code == 201
    assert second.json()["number"] not in (number, world.desk_world.card_number)


async def test_a_class_is_quoted_and_sold_on_the_group_card_out_of_the_allocation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, allocation = await _group_world(session, client, tickets=40)
    assert allocation is not None
    audited = await session.scalar(sa.select(sa.func.count()).select_from(audit_log))

    quoted = await _quote(client, world, number, 25)
    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    # The desk learns whose group it is, nothing about who comes.
    assert body["holder"] == {"display_name": "Basisschool De Vlieger", "card_status": "active"}
    assert body["group"] == {"organisation_name": "Basisschool De Vlieger"}
    assert body["voucher"] is None
    [tariff] = body["tariffs"]
    assert tariff["scheme_code"] == GROUP_SCHEME
    assert tariff["unit_price_cents"] == 200
    assert tariff["quantity"] == 25
    assert tariff["total_cents"] == 5_000
    assert tariff["remaining"] == 40
    assert tariff["companions"] is None
    # Only group schemes are considered: the voucher scheme is not even listed.
    assert body["not_applicable"] == []
    # Nothing personal was read, so nothing was audited.
    assert await session.scalar(sa.select(sa.func.count()).select_from(audit_log)) == audited

    sold = await _sell(client, world, number, tariff["tariff_id"], 25)
    assert sold.status_code == 201, sold.text
    [item] = sold.json()["items"]
    assert item["card_number"] == number
    assert item["scheme_code"] == GROUP_SCHEME
    assert item["quantity"] == 25
    assert item["total_cents"] == 5_000
    assert sum(f["amount_cents"] for f in item["funding"]) == (1_500 - 200) * 25
    assert {f["payer"] for f in item["funding"]} == {"organisation", "partner"}
    after = await _allocation(client, world, allocation["id"])
    assert (after["tickets_used"], after["tickets_remaining"]) == (25, 15)

    # The allocation has 15 left: 16 are not offered, and a sale of 16 is refused.
    over = await _quote(client, world, number, 16)
    assert over.json()["tariffs"] == []
    assert over.json()["not_applicable"] == [
        {
            "scheme_code": GROUP_SCHEME,
            "reason": "allocation_exhausted",
            "detail": "15 tickets left on the allocation",
        }
    ]
    refused = await _sell(
        client, world, number, tariff["tariff_id"], 16, **{"Accept-Language": "fr"}
    )
    problem = assert_problem(refused, 409, "allocation-exhausted")
    assert (
        problem["end_user_message"] == "Le quota de cette organisation n'a plus assez de tickets."
    )
    assert (await _allocation(client, world, allocation["id"]))["tickets_used"] == 25

    # A cancellation gives the tickets back to the allocation.
    cancelled = await client.post(f"/v1/sales/{sold.json()['id']}/cancel", headers=world.desk)
    assert cancelled.status_code == 200, cancelled.text
    back = await _allocation(client, world, allocation["id"])
    assert (back["tickets_used"], back["tickets_remaining"]) == (0, 40)


async def test_a_group_above_the_schemes_max_group_size_is_refused_in_three_languages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, allocation = await _group_world(session, client, tickets=100)
    assert allocation is not None
    at_most = await _quote(client, world, number, 30)
    assert [t["quantity"] for t in at_most.json()["tariffs"]] == [30]
    tariff_id = at_most.json()["tariffs"][0]["tariff_id"]

    messages = {}
    for language in ("nl", "fr", "en"):
        response = await _quote(client, world, number, 31, **{"Accept-Language": language})
        body = assert_problem(response, 422, "group-too-large")
        assert body["max_group_size"] == 30
        messages[language] = body["end_user_message"]
    assert messages == {
        "nl": "Zoveel tickets kunnen niet in één keer met de groepspas. Verkoop er minder.",
        "fr": "La carte de groupe ne permet pas autant de tickets en une fois. Vendez-en moins.",
        "en": "The group pass does not allow that many tickets at once. Sell fewer.",
    }
    sold = await _sell(client, world, number, tariff_id, 31)
    assert_problem(sold, 422, "group-too-large")
    assert (await _allocation(client, world, allocation["id"]))["tickets_used"] == 0


async def test_a_persons_schemes_never_apply_to_a_group_card_nor_a_groups_to_a_persons_card(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, _, _ = await _group_world(session, client)
    await with_schemes(
        session, catalog_scheme("KORTRIJK_KANSENTARIEF", world.desk_world.region.code)
    )
    person = await _quote(client, world, world.desk_world.card_number, 1)
    assert person.status_code == 200, person.text
    codes = {t["scheme_code"] for t in person.json()["tariffs"]} | {
        n["scheme_code"] for n in person.json()["not_applicable"]
    }
    assert GROUP_SCHEME not in codes
    assert codes == {"KORTRIJK_KANSENTARIEF"}  # the person's own schemes, as before
    # A person's card cannot sell a group at once either.
    too_many = await _quote(client, world, world.desk_world.card_number, 21)
    assert_problem(too_many, 422, "validation-failed")

    # The social organisation's group card: the school scheme is not for it.
    social = await client.post(
        f"/v1/organisations/{world.organisation_id}/cards", headers=world.social_worker, json={}
    )
    await an_allocation(client, world, scheme_code=GROUP_SCHEME)
    quoted = await _quote(client, world, social.json()["number"], 2)
    assert quoted.json()["tariffs"] == []
    assert quoted.json()["not_applicable"] == [
        {"scheme_code": GROUP_SCHEME, "reason": "not_eligible", "detail": None}
    ]


async def test_a_group_card_without_an_allocation_gets_no_group_tariff(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, _ = await _group_world(session, client, tickets=None)
    quoted = await _quote(client, world, number, 5)
    assert quoted.status_code == 200
    assert quoted.json()["tariffs"] == []
    assert quoted.json()["not_applicable"] == [
        {"scheme_code": GROUP_SCHEME, "reason": "no_allocation", "detail": None}
    ]


async def test_vouchers_and_group_sales_share_one_allocation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, allocation = await _group_world(session, client, tickets=10)
    assert allocation is not None
    voucher = await client.post(
        f"/v1/organisations/{world.other_organisation_id}/vouchers",
        headers=world.other_social_worker,
        json={"allocation_id": allocation["id"], "people": 6},
    )
    assert voucher.status_code == 201, voucher.text
    quoted = await _quote(client, world, number, 4)
    [tariff] = quoted.json()["tariffs"]
    assert tariff["remaining"] == 4
    assert (await _sell(client, world, number, tariff["tariff_id"], 4)).status_code == 201
    after = await _allocation(client, world, allocation["id"])
    assert (after["tickets_used"], after["tickets_remaining"]) == (10, 0)
    more = await client.post(
        f"/v1/organisations/{world.other_organisation_id}/vouchers",
        headers=world.other_social_worker,
        json={"allocation_id": allocation["id"], "people": 1},
    )
    assert_problem(more, 409, "allocation-exhausted")


async def test_a_blocked_group_card_sells_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, _ = await _group_world(session, client)
    blocked = await client.post(
        f"/v1/organisations/{world.other_organisation_id}/cards/{number}/block",
        headers=world.other_social_worker,
        json={"reason": "lost"},
    )
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["status"] == "blocked"
    assert blocked.json()["block_reason"] == "lost"
    assert blocked.json()["blocked_at"] is not None
    again = await client.post(
        f"/v1/organisations/{world.other_organisation_id}/cards/{number}/block",
        headers=world.region_admin,
        json={"reason": "stolen"},
    )
    assert again.json()["block_reason"] == "lost"  # blocked once; a retry is answered as is
    assert_problem(await _quote(client, world, number, 2), 409, "card-blocked")
    changes = await client.get("/v1/changes", headers=world.region_admin)
    kinds = [e["kind"] for e in changes.json()["items"] if e["entity_id"] == number]
    assert kinds == ["group_card.issued", "group_card.blocked"]


async def test_an_organisation_cannot_see_issue_or_block_another_organisations_cards(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, _ = await _group_world(session, client)
    school = world.other_organisation_id
    intruder = world.social_worker  # the social organisation's worker
    assert_problem(
        await client.get(f"/v1/organisations/{school}/cards", headers=intruder), 404, "not-found"
    )
    assert_problem(
        await client.post(f"/v1/organisations/{school}/cards", headers=intruder, json={}),
        404,
        "not-found",
    )
    assert_problem(
        await client.post(
            f"/v1/organisations/{school}/cards/{number}/block",
            headers=intruder,
            json={"reason": "lost"},
        ),
        404,
        "not-found",
    )
    # Nor through its own organisation's path.
    assert_problem(
        await client.post(
            f"/v1/organisations/{world.organisation_id}/cards/{number}/block",
            headers=intruder,
            json={"reason": "lost"},
        ),
        404,
        "card-not-found",
    )
    # Another region's admin, a reporter and a desk do not keep cards.
    elsewhere = await a_region(session)
    other_region = await bearer_for(session, Role.REGION_ADMIN, region_id=elsewhere.id)
    assert (
        await client.get(f"/v1/organisations/{school}/cards", headers=other_region)
    ).status_code == 404
    reporter = await bearer_for(session, Role.REPORTER, region_id=world.desk_world.region.id)
    assert (
        await client.get(f"/v1/organisations/{school}/cards", headers=reporter)
    ).status_code == 403
    assert (
        await client.post(f"/v1/organisations/{school}/cards", headers=world.desk, json={})
    ).status_code == 403
    listed = await client.get(f"/v1/organisations/{school}/cards", headers=world.region_admin)
    assert [c["status"] for c in listed.json()["items"]] == ["active"]


async def test_a_scheme_names_groups_and_max_group_size_only_for_groups(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    base = {
        "code": "SCHOOLUITSTAP",
        "name": {"nl": "Schooluitstap"},
        "eligibility": {"all": [{"group": True}, {"organisation_kind": "school"}]},
        "applies_to": {"partners": "all"},
        "price": {"type": "free"},
        "funding": [{"payer": "partner", "rest": True}],
        "max_group_size": 40,
    }
    made = await client.post("/v1/schemes", headers=admin, json=base)
    assert made.status_code == 201, made.text
    read = await client.get("/v1/schemes/SCHOOLUITSTAP")
    assert read.json()["definition"]["max_group_size"] == 40
    assert read.json()["definition"]["eligibility"] == base["eligibility"]
    not_a_group = {**base, "code": "GEEN_GROEP", "eligibility": {"card_holder": True}}
    refused = await client.post("/v1/schemes", headers=admin, json=not_a_group)
    assert refused.status_code == 422
    assert "/max_group_size" in refused.text
    bad_kind = {
        **base,
        "code": "FOUTE_SOORT",
        "eligibility": {"all": [{"group": True}, {"organisation_kind": "club"}]},
    }
    assert (await client.post("/v1/schemes", headers=admin, json=bad_kind)).status_code == 422


async def test_a_groups_tickets_count_in_the_reports_as_issued_redeemed_and_anonymous(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, allocation = await _group_world(session, client, tickets=40)
    assert allocation is not None
    quoted = await _quote(client, world, number, 12)
    sold = await _sell(client, world, number, quoted.json()["best_tariff_id"], 12)
    assert sold.status_code == 201, sold.text
    report = await client.get(
        "/v1/reports/allocations",
        headers=world.region_admin,
        params={"region_id": world.desk_world.region.id},
    )
    assert report.status_code == 200, report.text
    lines = {line["organisation_id"]: line for line in report.json()["lines"]}
    school = lines[world.other_organisation_id]
    assert (school["allocated"], school["issued"], school["redeemed"]) == (40, 12, 12)
    assert (school["expired"], school["revoked"]) == (0, 0)

    period = calendar_year_of(today_in_brussels())
    scope = Scope(region_id=world.desk_world.region.id)
    _, total = await db_reports.participation(session, scope, period, "month")
    assert (total.tickets, total.anonymous_tickets, total.passholders) == (12, 12, 0)


async def test_a_hold_on_a_group_card_takes_its_tickets_and_two_lines_count_together(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, number, allocation = await _group_world(session, client, tickets=10)
    assert allocation is not None
    tariff_id = (await _quote(client, world, number, 6)).json()["best_tariff_id"]
    line = {
        "card_number": number,
        "offer_id": world.offer_id,
        "price_class": "standard",
        "tariff_id": tariff_id,
        "quantity": 6,
    }
    # Two lines of 6 on an allocation of 10: the second sees the first's claim.
    both = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={"items": [line, line]},
    )
    body = assert_problem(both, 409, "allocation-exhausted")
    assert body["item"] == 1
    assert (await _allocation(client, world, allocation["id"]))["tickets_used"] == 0

    held = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={"items": [line], "hold": True},
    )
    assert held.status_code == 201, held.text
    assert held.json()["status"] == "held"
    assert (await _allocation(client, world, allocation["id"]))["tickets_used"] == 6
    released = await client.post(f"/v1/sales/{held.json()['id']}/cancel", headers=world.desk)
    assert released.status_code == 200, released.text
    assert (await _allocation(client, world, allocation["id"]))["tickets_used"] == 0
