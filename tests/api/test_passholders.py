"""Registering, reading, correcting and finding passholders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.regions import MunicipalityRow
from app.db.tables import audit_log
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_region, an_insz, bearer_for, next_nis, passholder_body


async def test_a_registry_registers_a_passholder_whose_home_region_follows_the_postal_code(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(
        session, municipalities=(MunicipalityRow(next_nis(), "Kuurne", ("8520",)),)
    )
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    body = passholder_body(region, insz=an_insz(date(1985, 7, 30)))
    del body["municipality_nis"]
    response = await client.post("/v1/passholders", headers=registry, json=body)

    assert response.status_code == 201, response.text
    holder = response.json()
    assert holder["region_id"] == region.id
    assert holder["municipality_nis"] == region.municipalities[0].nis_code
    assert holder["has_insz"] is True
    assert "insz" not in holder
    assert (await client.get(f"/v1/passholders/{holder['id']}", headers=registry)).json() == holder


async def test_a_postal_code_of_two_municipalities_needs_the_nis_code(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(
        session,
        municipalities=(
            MunicipalityRow(next_nis(), "Noord", ("9999",)),
            MunicipalityRow(next_nis(), "Zuid", ("9999",)),
        ),
    )
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    body = passholder_body(region)
    body["postal_code"] = "9999"
    del body["municipality_nis"]
    response = await client.post("/v1/passholders", headers=registry, json=body)
    problem = assert_problem(response, 422, "municipality-ambiguous")
    assert problem["municipality_nis_options"] == sorted(m.nis_code for m in region.municipalities)
    body["municipality_nis"] = region.municipalities[1].nis_code
    assert (await client.post("/v1/passholders", headers=registry, json=body)).status_code == 201


async def test_an_invalid_insz_is_refused_with_a_clear_message(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    good = an_insz(date(1985, 7, 30))
    wrong_check = good[:-2] + f"{(int(good[-2:]) + 1) % 97:02d}"
    response = await client.post(
        "/v1/passholders", headers=registry, json=passholder_body(region, insz=wrong_check)
    )
    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"] == [
        {"pointer": "/insz", "detail": "the INSZ check digits do not match (typing error?)"}
    ]
    assert wrong_check not in response.text


async def test_an_insz_of_someone_born_in_2000_or_later_uses_the_2_prefix_rule(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    born = date(2012, 3, 4)
    response = await client.post(
        "/v1/passholders",
        headers=registry,
        json=passholder_body(region, first_name="Lotte", birth_date=born, insz=an_insz(born)),
    )
    assert response.status_code == 201, response.text


async def test_an_insz_that_encodes_another_birth_date_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    response = await client.post(
        "/v1/passholders",
        headers=registry,
        json=passholder_body(region, insz=an_insz(date(1990, 1, 1))),
    )
    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["detail"] == "the INSZ does not match the birth date"


async def test_the_same_person_twice_is_a_conflict_naming_the_existing_passholder(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    insz = an_insz(date(1985, 7, 30))
    first = (
        await client.post(
            "/v1/passholders", headers=registry, json=passholder_body(region, insz=insz)
        )
    ).json()

    same_insz = passholder_body(region, first_name="Andere", insz=insz)
    problem = assert_problem(
        await client.post("/v1/passholders", headers=registry, json=same_insz),
        409,
        "passholder-exists",
    )
    assert problem["existing_id"] == first["id"]

    same_name = passholder_body(region, first_name="SOFIE", last_name="Désmet")
    problem = assert_problem(
        await client.post("/v1/passholders", headers=registry, json=same_name),
        409,
        "passholder-exists",
    )
    assert problem["existing_id"] == first["id"]


async def test_names_and_birth_dates_are_checked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    cases = [
        ({"first_name": "So\x07fie"}, "/first_name"),
        ({"last_name": ""}, "/last_name"),
        ({"last_name": "x" * 101}, "/last_name"),
        ({"birth_date": (date.today() + timedelta(days=2)).isoformat()}, "/birth_date"),
        ({"birth_date": "1890-01-01"}, "/birth_date"),
        ({"email": "not-an-email"}, "/email"),
    ]
    for change, pointer in cases:
        response = await client.post(
            "/v1/passholders", headers=registry, json={**passholder_body(region), **change}
        )
        problem = assert_problem(response, 422, "validation-failed")
        assert [e["pointer"] for e in problem["errors"]] == [pointer], change


async def test_a_registry_registers_only_residents_of_its_own_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, other = await a_region(session), await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=own.id)
    response = await client.post("/v1/passholders", headers=registry, json=passholder_body(other))
    assert_problem(response, 403, "forbidden")


async def test_a_patch_changes_only_the_fields_given_and_a_move_changes_the_home_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(
        session,
        municipalities=(
            MunicipalityRow(next_nis(), "Kortrijk", ("8500",)),
            MunicipalityRow(next_nis(), "Kuurne", ("8520",)),
        ),
    )
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    holder = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(region))
    ).json()

    patched = await client.patch(
        f"/v1/passholders/{holder['id']}",
        headers=registry,
        json={"email": "sofie@example.be", "postal_code": "8520"},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["email"] == "sofie@example.be"
    assert body["municipality_nis"] == region.municipalities[1].nis_code
    assert body["first_name"] == "Sofie"
    assert body["updated_at"] > holder["updated_at"]

    cleared = await client.patch(
        f"/v1/passholders/{holder['id']}", headers=registry, json={"email": None}
    )
    assert cleared.json()["email"] is None
    refused = await client.patch(
        f"/v1/passholders/{holder['id']}", headers=registry, json={"last_name": None}
    )
    assert_problem(refused, 422, "validation-failed")


async def test_search_finds_by_insz_card_or_name_and_every_hit_is_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    insz = an_insz(date(1985, 7, 30))
    holder = (
        await client.post(
            "/v1/passholders",
            headers=registry,
            json=passholder_body(region, last_name="Van den Broeck", insz=insz),
        )
    ).json()
    card = (await client.post(f"/v1/passholders/{holder['id']}/cards", headers=registry)).json()

    by_insz = await client.post(
        "/v1/passholders/search",
        headers=registry,
        json={"insz": f"{insz[:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:]}"},
    )
    by_card = await client.post(
        "/v1/passholders/search", headers=registry, json={"card_number": card["number"]}
    )
    by_name = await client.post(
        "/v1/passholders/search",
        headers=registry,
        json={"last_name": "van den broeck", "birth_date": "1985-07-30"},
    )
    for response in (by_insz, by_card, by_name):
        assert [item["id"] for item in response.json()["items"]] == [holder["id"]]
    nobody = await client.post(
        "/v1/passholders/search",
        headers=registry,
        json={"last_name": "Peeters", "birth_date": "1985-07-30"},
    )
    assert nobody.json()["items"] == []

    audited = (
        (
            await session.execute(
                sa.select(audit_log.c.action).where(
                    audit_log.c.passholder_id == sa.cast(holder["id"], sa.Uuid)
                )
            )
        )
        .scalars()
        .all()
    )
    assert sorted(audited) == ["passholder.search"] * 3


async def test_a_search_must_say_one_way_of_finding(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    for body in (
        {},
        {"last_name": "Peeters"},
        {"insz": "85073000160", "last_name": "X", "birth_date": "1985-07-30"},
    ):
        response = await client.post("/v1/passholders/search", headers=registry, json=body)
        assert_problem(response, 422, "validation-failed")


async def test_reading_a_passholder_writes_an_audit_row_with_client_and_time(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    holder = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(region))
    ).json()
    await client.get(f"/v1/passholders/{holder['id']}", headers=registry)

    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    page = (
        await client.get("/v1/audit", headers=region_admin, params={"passholder_id": holder["id"]})
    ).json()
    assert [item["action"] for item in page["items"]] == ["passholder.read"]
    [row] = page["items"]
    assert row["client_id"].startswith("test-")
    assert row["passholder_id"] == holder["id"]
    assert row["region_id"] == region.id
    read_at = datetime.fromisoformat(row["at"])
    assert timedelta(0) <= datetime.now(UTC) - read_at < timedelta(minutes=1)


async def test_another_regions_registry_learns_the_person_exists_elsewhere_but_not_the_id(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await a_region(session), await a_region(session)
    kortrijk_registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    brugge_registry = await bearer_for(session, Role.REGISTRY, region_id=brugge.id)
    insz = an_insz(date(1985, 7, 30), counter=7)
    first = await client.post(
        "/v1/passholders", headers=kortrijk_registry, json=passholder_body(kortrijk, insz=insz)
    )
    assert first.status_code == 201, first.text

    elsewhere = assert_problem(
        await client.post(
            "/v1/passholders", headers=brugge_registry, json=passholder_body(brugge, insz=insz)
        ),
        409,
        "passholder-exists-elsewhere",
    )
    assert "existing_id" not in elsewhere
    assert first.json()["id"] not in json.dumps(elsewhere)
    assert kortrijk.id not in json.dumps(elsewhere)

    # Correcting a Brugge holder's INSZ to that number is refused the same way.
    other = (
        await client.post(
            "/v1/passholders",
            headers=brugge_registry,
            json=passholder_body(brugge, first_name="Lotte", last_name="Peeters"),
        )
    ).json()
    corrected = await client.patch(
        f"/v1/passholders/{other['id']}", headers=brugge_registry, json={"insz": insz}
    )
    assert_problem(corrected, 409, "passholder-exists-elsewhere")
    assert "existing_id" not in corrected.json()
