"""Ticket requests (ticketaanvragen): an organisation asks a partner for tickets on one of
its allocations; the partner accepts — a sale at the allocation's tariff, through the
desk's own sale path, out of the allocation — or declines; the organisation follows its
requests and may withdraw one. Every step is a change-feed event."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.support_organisations import (
    VOUCHER_SCHEME,
    OrganisationWorld,
    an_allocation,
    an_organisation_world,
)
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, bearer_for


async def _world(
    session: AsyncSession, client: httpx.AsyncClient, *, tickets: int = 10
) -> tuple[OrganisationWorld, dict[str, str], dict[str, Any]]:
    """The organisation world, its partner's admin, and an Article 27 allocation."""
    world = await an_organisation_world(session, client, price_cents=1_500)
    partner_admin = await bearer_for(
        session, Role.PARTNER_ADMIN, partner_id=world.desk_world.partner_id
    )
    return world, partner_admin, await an_allocation(client, world, tickets=tickets)


async def _request(
    client: httpx.AsyncClient,
    world: OrganisationWorld,
    allocation_id: str,
    tickets: int,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/offers/{world.offer_id}/ticket-requests",
        headers=headers or world.social_worker,
        json={
            "allocation_id": allocation_id,
            "tickets": tickets,
            "price_class": "standard",
            **extra,
        },
    )


async def _used(client: httpx.AsyncClient, world: OrganisationWorld, allocation_id: str) -> int:
    listed = await client.get(
        f"/v1/organisations/{world.organisation_id}/allocations", headers=world.social_worker
    )
    [found] = [a for a in listed.json()["items"] if a["id"] == allocation_id]
    return int(found["tickets_used"])


async def _events(
    client: httpx.AsyncClient, world: OrganisationWorld, request_id: str
) -> list[dict[str, Any]]:
    feed = await client.get("/v1/changes", headers=world.region_admin, params={"limit": 500})
    assert feed.status_code == 200, feed.text
    return [e for e in feed.json()["items"] if e["entity_id"] == request_id]


async def test_a_request_accepted_is_sold_at_the_allocations_tariff_out_of_the_allocation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, partner_admin, allocation = await _world(session, client, tickets=10)
    asked = await _request(client, world, allocation["id"], 4, note="Groep Nieuwkomers, dinsdag")
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "requested"
    assert request["tickets"] == 4
    assert request["note"] == "Groep Nieuwkomers, dinsdag"
    assert request["partner_id"] == world.desk_world.partner_id
    assert request["offer_title"] == "Seizoensabonnement"
    assert request["sale_id"] is None
    # Asking takes nothing yet.
    assert await _used(client, world, allocation["id"]) == 0

    listed = await client.get(
        f"/v1/partners/{world.desk_world.partner_id}/ticket-requests",
        headers=partner_admin,
        params={"status": "requested"},
    )
    assert [r["id"] for r in listed.json()["items"]] == [request["id"]]

    accepted = await client.post(
        f"/v1/ticket-requests/{request['id']}/accept", headers=partner_admin
    )
    assert accepted.status_code == 200, accepted.text
    sale = accepted.json()
    assert sale["status"] == "confirmed"
    assert sale["partner_id"] == world.desk_world.partner_id
    [item] = sale["items"]
    assert item["scheme_code"] == VOUCHER_SCHEME
    assert item["unit_price_cents"] == 125
    assert item["quantity"] == 4
    assert item["total_cents"] == 500
    assert item["card_number"] is None
    assert item["voucher_code"] is None
    assert sum(f["amount_cents"] for f in item["funding"]) == (1_500 - 125) * 4
    assert await _used(client, world, allocation["id"]) == 4

    # The organisation follows it: accepted, with its sale; the partner sees the sale.
    followed = await client.get(f"/v1/ticket-requests/{request['id']}", headers=world.social_worker)
    assert followed.json()["status"] == "accepted"
    assert followed.json()["sale_id"] == sale["id"]
    assert followed.json()["decided_at"] is not None
    own = await client.get(
        f"/v1/organisations/{world.organisation_id}/ticket-requests",
        headers=world.social_worker,
        params={"status": "accepted"},
    )
    assert [r["id"] for r in own.json()["items"]] == [request["id"]]
    read = await client.get(f"/v1/sales/{sale['id']}", headers=world.desk)
    assert read.status_code == 200
    assert read.json()["total_cents"] == 500

    # A second accept is refused, and sells nothing more.
    again = await client.post(f"/v1/ticket-requests/{request['id']}/accept", headers=partner_admin)
    body = assert_problem(again, 409, "ticket-request-not-open")
    assert body["request_status"] == "accepted"
    assert await _used(client, world, allocation["id"]) == 4
    assert [e["kind"] for e in await _events(client, world, request["id"])] == [
        "ticket_request.requested",
        "ticket_request.accepted",
    ]
    [accepted_event] = [
        e for e in await _events(client, world, request["id"]) if e["kind"].endswith("accepted")
    ]
    assert accepted_event["data"]["sale_id"] == sale["id"]

    # Cancelling the sale gives the tickets back to the allocation.
    cancelled = await client.post(f"/v1/sales/{sale['id']}/cancel", headers=partner_admin)
    assert cancelled.status_code == 200, cancelled.text
    assert await _used(client, world, allocation["id"]) == 0


async def test_a_declined_request_tells_the_organisation_why_and_sells_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, partner_admin, allocation = await _world(session, client)
    request = (await _request(client, world, allocation["id"], 3)).json()
    declined = await client.post(
        f"/v1/ticket-requests/{request['id']}/decline",
        headers=partner_admin,
        json={"reason": "Uitverkocht op die dag"},
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["reason"] == "Uitverkocht op die dag"
    seen = await client.get(f"/v1/ticket-requests/{request['id']}", headers=world.social_worker)
    assert (seen.json()["status"], seen.json()["reason"]) == ("declined", "Uitverkocht op die dag")
    assert_problem(
        await client.post(f"/v1/ticket-requests/{request['id']}/accept", headers=partner_admin),
        409,
        "ticket-request-not-open",
    )
    assert_problem(
        await client.post(
            f"/v1/ticket-requests/{request['id']}/withdraw", headers=world.social_worker
        ),
        409,
        "ticket-request-not-open",
    )
    assert await _used(client, world, allocation["id"]) == 0
    assert [e["kind"] for e in await _events(client, world, request["id"])] == [
        "ticket_request.requested",
        "ticket_request.declined",
    ]
    pending = await client.get(
        f"/v1/partners/{world.desk_world.partner_id}/ticket-requests",
        headers=partner_admin,
        params={"status": "requested"},
    )
    assert pending.json()["items"] == []


async def test_the_organisation_withdraws_a_request_while_it_is_requested(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, partner_admin, allocation = await _world(session, client)
    request = (await _request(client, world, allocation["id"], 2)).json()
    # Only the organisation withdraws; the partner declines.
    assert (
        await client.post(f"/v1/ticket-requests/{request['id']}/withdraw", headers=partner_admin)
    ).status_code == 403
    withdrawn = await client.post(
        f"/v1/ticket-requests/{request['id']}/withdraw", headers=world.social_worker
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert_problem(
        await client.post(f"/v1/ticket-requests/{request['id']}/accept", headers=partner_admin),
        409,
        "ticket-request-not-open",
    )
    assert [e["kind"] for e in await _events(client, world, request["id"])] == [
        "ticket_request.requested",
        "ticket_request.withdrawn",
    ]


async def test_requests_beyond_the_allocation_are_refused_when_asked_and_when_accepted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, partner_admin, allocation = await _world(session, client, tickets=10)
    assert_problem(await _request(client, world, allocation["id"], 11), 409, "allocation-exhausted")
    first = (await _request(client, world, allocation["id"], 6)).json()
    second = (await _request(client, world, allocation["id"], 6)).json()
    ok = await client.post(f"/v1/ticket-requests/{first['id']}/accept", headers=partner_admin)
    assert ok.status_code == 200, ok.text
    refused = await client.post(
        f"/v1/ticket-requests/{second['id']}/accept",
        headers={**partner_admin, "Accept-Language": "en"},
    )
    body = assert_problem(refused, 409, "allocation-exhausted")
    assert body["end_user_message"] == "This organisation's quota has too few tickets left."
    still = await client.get(f"/v1/ticket-requests/{second['id']}", headers=partner_admin)
    assert still.json()["status"] == "requested"
    assert await _used(client, world, allocation["id"]) == 6
    # More than the scheme sells to a group at once is refused when asked.
    big = await an_allocation(client, world, tickets=100)
    assert_problem(await _request(client, world, big["id"], 21), 422, "group-too-large")
    assert_problem(
        await _request(client, world, allocation["id"], 2, price_class="vip"),
        422,
        "unknown-price-class",
    )


async def test_organisation_a_cannot_see_ask_on_or_withdraw_organisation_bs_requests(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, _, allocation = await _world(session, client)
    request = (await _request(client, world, allocation["id"], 2)).json()
    intruder = world.other_social_worker
    assert_problem(
        await client.get(f"/v1/ticket-requests/{request['id']}", headers=intruder),
        404,
        "ticket-request-not-found",
    )
    assert_problem(
        await client.post(f"/v1/ticket-requests/{request['id']}/withdraw", headers=intruder),
        404,
        "ticket-request-not-found",
    )
    assert (
        await client.get(
            f"/v1/organisations/{world.organisation_id}/ticket-requests", headers=intruder
        )
    ).status_code == 404
    # Its own list does not show them either.
    own = await client.get(
        f"/v1/organisations/{world.other_organisation_id}/ticket-requests", headers=intruder
    )
    assert own.status_code == 200
    assert own.json()["items"] == []
    # Nor may it ask on another organisation's allocation.
    asked = await _request(client, world, allocation["id"], 1, headers=intruder)
    assert asked.status_code == 422
    assert "/allocation_id" in asked.text
    # A desk does not ask for tickets.
    assert (
        await _request(client, world, allocation["id"], 1, headers=world.desk)
    ).status_code == 403


async def test_partner_y_cannot_list_accept_or_decline_partner_xs_requests(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, partner_admin, allocation = await _world(session, client)
    request = (await _request(client, world, allocation["id"], 2)).json()
    other_partner = await a_partner(session, world.desk_world.region)
    other_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=other_partner)
    assert (
        await client.get(
            f"/v1/partners/{world.desk_world.partner_id}/ticket-requests", headers=other_admin
        )
    ).status_code == 403
    assert (
        await client.get(f"/v1/partners/{other_partner}/ticket-requests", headers=other_admin)
    ).json()["items"] == []
    assert_problem(
        await client.post(f"/v1/ticket-requests/{request['id']}/accept", headers=other_admin),
        404,
        "ticket-request-not-found",
    )
    assert_problem(
        await client.post(
            f"/v1/ticket-requests/{request['id']}/decline",
            headers=other_admin,
            json={"reason": "nee"},
        ),
        404,
        "ticket-request-not-found",
    )
    # The desk of the partner itself does not decide; the organisation does not accept.
    assert (
        await client.post(f"/v1/ticket-requests/{request['id']}/accept", headers=world.desk)
    ).status_code == 403
    assert (
        await client.post(
            f"/v1/ticket-requests/{request['id']}/accept", headers=world.social_worker
        )
    ).status_code == 403
    assert await _used(client, world, allocation["id"]) == 0
    seen = await client.get(f"/v1/ticket-requests/{request['id']}", headers=partner_admin)
    assert seen.json()["status"] == "requested"
