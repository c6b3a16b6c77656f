"""Organisations, allocations and vouchers through the API, with their tenancy: a social
worker of organisation A sees and uses nothing of organisation B."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from app.domain.vouchers import normalise_code
from tests.api.support_organisations import (
    VOUCHER_SCHEME,
    a_voucher,
    an_allocation,
    an_organisation_world,
)
from tests.api.test_auth import assert_problem
from tests.factories import a_region, bearer_for


async def test_a_region_admin_registers_an_organisation_that_its_social_worker_reads(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)

    own = await client.get(
        f"/v1/organisations/{world.organisation_id}", headers=world.social_worker
    )
    assert own.status_code == 200, own.text
    assert own.json()["name"] == "Welzijnsschakel De Brug"
    assert own.json()["kind"] == "social"
    assert own.json()["region_id"] == world.desk_world.region.id

    listed = await client.get(
        f"/v1/organisations?region_id={world.desk_world.region.id}", headers=world.region_admin
    )
    assert {o["id"] for o in listed.json()["items"]} == {
        world.organisation_id,
        world.other_organisation_id,
    }
    # A social worker listing the region is shown their own organisation only.
    mine = await client.get(
        f"/v1/organisations?region_id={world.desk_world.region.id}", headers=world.social_worker
    )
    assert [o["id"] for o in mine.json()["items"]] == [world.organisation_id]
    plain = await client.get("/v1/organisations", headers=world.social_worker)
    assert [o["id"] for o in plain.json()["items"]] == [world.organisation_id]


async def test_a_social_worker_cannot_read_another_organisation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    response = await client.get(
        f"/v1/organisations/{world.other_organisation_id}", headers=world.social_worker
    )
    assert_problem(response, 404, "not-found")


async def test_a_region_admin_of_another_region_can_neither_create_nor_read_organisations_here(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    elsewhere = await a_region(session)
    stranger = await bearer_for(session, Role.REGION_ADMIN, region_id=elsewhere.id)

    created = await client.post(
        "/v1/organisations",
        headers=stranger,
        json={"name": "X", "region_id": world.desk_world.region.id, "kind": "school"},
    )
    assert_problem(created, 403, "forbidden")
    read = await client.get(f"/v1/organisations/{world.organisation_id}", headers=stranger)
    assert_problem(read, 404, "not-found")


async def test_a_region_admin_renames_an_organisation_and_a_social_worker_may_not(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    renamed = await client.patch(
        f"/v1/organisations/{world.organisation_id}",
        headers=world.region_admin,
        json={"name": "Welzijnsschakel Het Anker"},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["kind"]) == (
        "Welzijnsschakel Het Anker",
        "social",
    )

    refused = await client.patch(
        f"/v1/organisations/{world.organisation_id}",
        headers=world.social_worker,
        json={"name": "Mijn naam"},
    )
    assert_problem(refused, 403, "forbidden")


async def test_an_organisation_grant_needs_an_existing_organisation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    admin = await bearer_for(session, Role.ADMIN)
    made = await client.post(
        "/v1/clients",
        headers=admin,
        json={
            "name": "Maatschappelijk werker",
            "grants": [{"role": "organisation", "organisation_id": world.organisation_id}],
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["grants"] == [
        {
            "role": "organisation",
            "region_id": None,
            "partner_id": None,
            "organisation_id": world.organisation_id,
        }
    ]
    unknown = await client.post(
        "/v1/clients",
        headers=admin,
        json={
            "name": "X",
            "grants": [
                {"role": "organisation", "organisation_id": "00000000-0000-0000-0000-000000000001"}
            ],
        },
    )
    assert_problem(unknown, 422, "validation-failed")
    without = await client.post(
        "/v1/clients", headers=admin, json={"name": "X", "grants": [{"role": "organisation"}]}
    )
    assert_problem(without, 422, "validation-failed")


# --- allocations ----------------------------------------------------------------------------


async def test_an_allocation_reports_its_tickets_used_and_remaining(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world, tickets=10, budget_cents=5_000)
    assert (allocation["tickets"], allocation["tickets_used"], allocation["tickets_remaining"]) == (
        10,
        0,
        10,
    )
    assert allocation["scheme_code"] == VOUCHER_SCHEME
    assert allocation["budget_cents"] == 5_000

    await a_voucher(client, world, allocation["id"], people=3)
    listed = await client.get(
        f"/v1/organisations/{world.organisation_id}/allocations", headers=world.social_worker
    )
    [row] = listed.json()["items"]
    assert (row["tickets_used"], row["tickets_remaining"]) == (3, 7)


async def test_only_a_region_admin_grants_allocations_and_only_for_known_schemes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    body = {
        "scheme_code": VOUCHER_SCHEME,
        "valid_from": "2027-01-01",
        "valid_until": "2027-12-31",
        "tickets": 5,
    }
    path = f"/v1/organisations/{world.organisation_id}/allocations"
    assert_problem(
        await client.post(path, headers=world.social_worker, json=body), 403, "forbidden"
    )
    unknown = await client.post(
        path, headers=world.region_admin, json={**body, "scheme_code": "NO_SUCH_SCHEME"}
    )
    assert_problem(unknown, 422, "unknown-scheme")
    backwards = await client.post(
        path, headers=world.region_admin, json={**body, "valid_until": "2026-12-31"}
    )
    assert_problem(backwards, 422, "validation-failed")


async def test_a_social_worker_cannot_list_another_organisations_allocations(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    await an_allocation(client, world, organisation_id=world.other_organisation_id)
    response = await client.get(
        f"/v1/organisations/{world.other_organisation_id}/allocations",
        headers=world.social_worker,
    )
    assert_problem(response, 404, "not-found")


# --- vouchers -------------------------------------------------------------------------------


async def test_a_voucher_has_a_checked_code_and_no_personal_data(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world)
    voucher = await a_voucher(client, world, allocation["id"], people=2)

    assert normalise_code(voucher["code"]) == voucher["code"]
    assert len(voucher["code"]) == 14
    assert voucher["printed_code"].replace("-", "") == voucher["code"]
    assert (voucher["people"], voucher["status"], voucher["tickets_remaining"]) == (2, "active", 2)
    assert voucher["valid_until"] == "2099-12-31"  # the allocation's last day
    assert set(voucher) == {
        "code",
        "printed_code",
        "people",
        "tickets_used",
        "tickets_remaining",
        "valid_until",
        "status",
        "allocation_id",
        "organisation_id",
        "scheme_code",
        "offer_id",
        "partner_id",
        "issued_at",
        "revoked_at",
    }
    # A mistyped symbol fails the check: no such voucher.
    wrong = voucher["code"][:-1] + ("2" if voucher["code"][-1] != "2" else "3")
    response = await client.get(f"/v1/vouchers/{wrong}", headers=world.social_worker)
    assert_problem(response, 404, "voucher-not-found")
    # Typed in lower case with its dashes, it is the same voucher.
    read = await client.get(
        f"/v1/vouchers/{voucher['printed_code'].lower()}", headers=world.social_worker
    )
    assert read.status_code == 200, read.text
    assert read.json()["code"] == voucher["code"]


async def test_issuing_over_the_quota_is_allocation_exhausted_and_takes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world, tickets=5)
    await a_voucher(client, world, allocation["id"], people=4)
    response = await client.post(
        f"/v1/organisations/{world.organisation_id}/vouchers",
        headers=world.social_worker,
        json={"allocation_id": allocation["id"], "people": 2},
    )
    body = assert_problem(response, 409, "allocation-exhausted")
    assert "quotum" in body["end_user_message"]
    listed = await client.get(
        f"/v1/organisations/{world.organisation_id}/allocations", headers=world.social_worker
    )
    assert listed.json()["items"][0]["tickets_used"] == 4


async def test_revoking_gives_the_unused_tickets_back_to_the_allocation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world, tickets=5)
    voucher = await a_voucher(client, world, allocation["id"], people=3)

    revoked = await client.post(
        f"/v1/vouchers/{voucher['code']}/revoke", headers=world.social_worker
    )
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["status"], revoked.json()["tickets_remaining"]) == ("revoked", 0)
    again = await client.post(f"/v1/vouchers/{voucher['code']}/revoke", headers=world.social_worker)
    assert again.json()["status"] == "revoked"

    listed = await client.get(
        f"/v1/organisations/{world.organisation_id}/allocations", headers=world.social_worker
    )
    assert listed.json()["items"][0]["tickets_used"] == 0
    # The tickets are there to issue again.
    await a_voucher(client, world, allocation["id"], people=5)


async def test_a_social_worker_can_neither_issue_from_nor_see_nor_revoke_another_organisations(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    theirs = await an_allocation(client, world, organisation_id=world.other_organisation_id)
    mine = await an_allocation(client, world)

    # Issuing for the other organisation, or from its allocation through one's own.
    other_path = f"/v1/organisations/{world.other_organisation_id}/vouchers"
    response = await client.post(
        other_path, headers=world.social_worker, json={"allocation_id": theirs["id"], "people": 1}
    )
    assert_problem(response, 404, "not-found")
    response = await client.post(
        f"/v1/organisations/{world.organisation_id}/vouchers",
        headers=world.social_worker,
        json={"allocation_id": theirs["id"], "people": 1},
    )
    assert_problem(response, 422, "validation-failed")

    voucher = await a_voucher(client, world, mine["id"])
    for method, path in (
        ("GET", f"/v1/vouchers/{voucher['code']}"),
        ("POST", f"/v1/vouchers/{voucher['code']}/revoke"),
        ("GET", f"/v1/organisations/{world.organisation_id}/vouchers"),
    ):
        response = await client.request(method, path, headers=world.other_social_worker)
        assert response.status_code == 404, (path, response.text)
    own = await client.get(
        f"/v1/organisations/{world.organisation_id}/vouchers", headers=world.social_worker
    )
    assert [v["code"] for v in own.json()["items"]] == [voucher["code"]]
    # A desk prices vouchers but does not read them.
    assert_problem(
        await client.get(f"/v1/vouchers/{voucher['code']}", headers=world.desk), 403, "forbidden"
    )


async def test_a_voucher_prints_as_svg_and_pdf_with_a_qr_code_in_the_asked_language(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world)
    voucher = await a_voucher(client, world, allocation["id"], people=2)
    path = f"/v1/vouchers/{voucher['code']}"

    svg = await client.get(
        path, headers={**world.social_worker, "Accept": "image/svg+xml", "Accept-Language": "fr"}
    )
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    assert voucher["printed_code"] in svg.text
    assert "2 personnes" in svg.text
    assert 'class="segno"' in svg.text or "segno" in svg.text

    pdf = await client.get(
        path, headers={**world.social_worker, "Accept": "application/pdf", "Accept-Language": "nl"}
    )
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4")
    assert pdf.content.rstrip().endswith(b"%%EOF")
    assert b"Ticketbon" in pdf.content
    assert voucher["printed_code"].encode() in pdf.content
    # The cross-reference table points at each object exactly.
    start = int(pdf.content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf.content[start:].startswith(b"xref")
    assert b"Welzijnsschakel" not in pdf.content
    assert "Welzijnsschakel" not in svg.text


async def test_a_voucher_cannot_outlive_its_allocation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world, valid_until="2099-06-30")
    response = await client.post(
        f"/v1/organisations/{world.organisation_id}/vouchers",
        headers=world.social_worker,
        json={"allocation_id": allocation["id"], "people": 1, "valid_until": "2099-07-01"},
    )
    assert_problem(response, 422, "validation-failed")
