"""The INSZ goes in and never comes out: not in a response, an event, a log line or a row."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import metadata
from app.domain.access import Role
from app.observability import configure_logging
from tests.factories import a_region, an_insz, bearer_for, passholder_body


async def test_a_full_registry_flow_never_reveals_the_insz(
    client: httpx.AsyncClient, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG")
    try:
        region = await a_region(session)
        registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
        region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
        born = date(1985, 7, 30)
        insz = an_insz(born)
        spaced = f"{insz[:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:]}"
        other = an_insz(date(1991, 5, 6))
        bodies: list[str] = []

        async def call(method: str, url: str, **kwargs: object) -> httpx.Response:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
            bodies.append(response.text)
            return response

        holder = (
            await call(
                "POST",
                "/v1/passholders",
                headers=registry,
                json=passholder_body(region, insz=spaced),
            )
        ).json()
        await call("GET", f"/v1/passholders/{holder['id']}", headers=registry)
        await call("POST", "/v1/passholders/search", headers=registry, json={"insz": insz})
        await call(
            "PATCH",
            f"/v1/passholders/{holder['id']}",
            headers=registry,
            json={"insz": insz, "email": "sofie@example.be"},
        )
        await call("POST", f"/v1/passholders/{holder['id']}/cards", headers=registry)
        await call(
            "POST",
            "/v1/imports/entitlements",
            headers={**registry, "Content-Type": "text/csv"},
            content=f"insz,type,valid_from\n{insz},kansenstatuut,2026-01-01\n"
            f"{other},kansenstatuut,2026-01-01\n",
        )
        await call("GET", "/v1/changes", headers=registry)
        await call("GET", "/v1/audit", headers=region_admin)
        await call(
            "POST",
            "/v1/passholders",
            headers=registry,
            json=passholder_body(region, first_name="Twee", insz=insz),
        )  # 409
        await call(
            "POST",
            "/v1/passholders",
            headers=registry,
            json=passholder_body(region, insz=insz[:-1] + "0"),
        )  # 422

        logs = capsys.readouterr().out
        assert "request" in logs  # the access lines were captured
        for secret in (insz, spaced, other):
            for body in bodies:
                assert secret not in body
            assert secret not in logs

        # No column of any table holds the number itself.
        for table in metadata.sorted_tables:
            rows = (await session.execute(sa.select(table))).all()
            dumped = json.dumps([[str(value) for value in row] for row in rows])
            assert insz not in dumped, table.name
            assert other not in dumped, table.name
    finally:
        configure_logging("WARNING")
