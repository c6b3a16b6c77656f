"""A world of organisations for the API tests: a region with a partner, an offer and a desk
(tests.factories.a_desk_world), two organisations of the region with a social worker
each, the region's admin, and the Article 27 voucher scheme of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.factories import DeskWorld, a_desk_world, bearer_for, catalog_scheme, with_schemes

VOUCHER_SCHEME = "ARTIKEL_27_BON"


@dataclass
class OrganisationWorld:
    desk_world: DeskWorld
    region_admin: dict[str, str]
    organisation_id: str
    social_worker: dict[str, str]
    other_organisation_id: str
    other_social_worker: dict[str, str]

    @property
    def desk(self) -> dict[str, str]:
        return self.desk_world.desk

    @property
    def offer_id(self) -> str:
        return self.desk_world.offer_id


async def an_organisation(
    client: httpx.AsyncClient,
    region_admin: dict[str, str],
    region_id: str,
    *,
    name: str = "Welzijnsschakel De Brug",
    kind: str = "social",
) -> str:
    response = await client.post(
        "/v1/organisations",
        headers=region_admin,
        json={"name": name, "region_id": region_id, "kind": kind},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def an_organisation_world(
    session: AsyncSession, client: httpx.AsyncClient, *, price_cents: int = 1_500
) -> OrganisationWorld:
    world = await a_desk_world(session, client, price_cents=price_cents)
    await with_schemes(session, catalog_scheme(VOUCHER_SCHEME, None))
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    first = await an_organisation(client, region_admin, world.region.id)
    second = await an_organisation(
        client, region_admin, world.region.id, name="Basisschool De Vlieger", kind="school"
    )
    return OrganisationWorld(
        desk_world=world,
        region_admin=region_admin,
        organisation_id=first,
        social_worker=await bearer_for(session, Role.ORGANISATION, organisation_id=first),
        other_organisation_id=second,
        other_social_worker=await bearer_for(session, Role.ORGANISATION, organisation_id=second),
    )


async def an_allocation(
    client: httpx.AsyncClient,
    world: OrganisationWorld,
    *,
    tickets: int = 10,
    organisation_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/organisations/{organisation_id or world.organisation_id}/allocations",
        headers=world.region_admin,
        json={
            "scheme_code": VOUCHER_SCHEME,
            "valid_from": "2020-01-01",
            "valid_until": "2099-12-31",
            "tickets": tickets,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def a_voucher(
    client: httpx.AsyncClient,
    world: OrganisationWorld,
    allocation_id: str,
    *,
    people: int = 2,
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/organisations/{world.organisation_id}/vouchers",
        headers=world.social_worker,
        json={"allocation_id": allocation_id, "people": people, **extra},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
