"""Hostile and broken lists: each answers per-row rejections or a 4xx problem, never a 500."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_region, an_insz, bearer_for

CSV = "text/csv"
NDJSON = "application/x-ndjson"
HEADER = "insz;type;valid_from\n"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


async def _import(
    client: httpx.AsyncClient, session: AsyncSession, body: str, media_type: str = CSV
) -> httpx.Response:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    return await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": media_type},
        content=body.encode(),
    )


def _report(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def test_a_cell_larger_than_the_csv_modules_field_limit_is_one_rejected_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    good = an_insz(date(1985, 7, 30), counter=21)
    body = HEADER + f"{'9' * 131_073};kansenstatuut;2026-01-01\n{good};kansenstatuut;2026-01-01\n"
    report = _report(await _import(client, session, body))
    assert (report["rows"], report["rejected"], report["pending"]) == (2, 1, 1)
    assert report["rejections"] == [{"row": 1, "reason": "line 2: longer than 2000 characters"}]


async def test_a_stray_quote_costs_its_own_line_and_names_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = an_insz(date(1985, 7, 30), counter=22)
    second = an_insz(date(1985, 7, 30), counter=23)
    body = (
        HEADER
        + f'{first};kansenstatuut;"2026-01-01\n'
        + f"{second};kansenstatuut;2026-01-01\n"
        + f"{first};leefloon;2026-01-01\n"
    )
    report = _report(await _import(client, session, body))
    # Before, the open quote swallowed the two lines after it into one rejected record.
    assert (report["rows"], report["rejected"], report["pending"]) == (3, 1, 2)
    [rejection] = report["rejections"]
    assert rejection["row"] == 1
    assert rejection["reason"].startswith('line 2: unbalanced quote (")')


async def test_a_stray_quote_in_a_large_list_does_not_crash_the_import(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    rows = "".join(
        f"{an_insz(date(1985, 7, 30), counter=1 + i % 900)};vip;2026-01-01\n" for i in range(20_000)
    )
    body = HEADER + '"' + rows
    report = _report(await _import(client, session, body))
    assert (report["rows"], report["rejected"]) == (20_000, 20_000)
    assert report["rejections"][0]["reason"].startswith("line 2: unbalanced quote")
    assert report["rejections"][1] == {"row": 2, "reason": "type: unknown entitlement type"}


async def test_an_insz_of_thousands_of_digits_is_a_rejected_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = "\n".join(
        [
            json.dumps({"insz": "8" * 4_301, "type": "kansenstatuut", "valid_from": "2026-01-01"}),
            json.dumps(
                {"insz": int("8" * 1_900), "type": "kansenstatuut", "valid_from": "2026-01-01"}
            ),
        ]
    )
    report = _report(await _import(client, session, body, NDJSON))
    assert report["rejections"] == [
        {"row": 1, "reason": "line 1: longer than 2000 characters"},
        {"row": 2, "reason": "insz: an INSZ has 11 digits"},
    ]
    csv_body = HEADER + f"{'8' * 1_950};kansenstatuut;2026-01-01\n"
    report = _report(await _import(client, session, csv_body))
    assert report["rejections"] == [{"row": 1, "reason": "insz: an INSZ has 11 digits"}]


async def test_an_insz_in_full_width_digits_is_refused_as_the_api_refuses_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    wide = an_insz(date(1985, 7, 30), counter=24).translate(FULL_WIDTH)
    report = _report(await _import(client, session, HEADER + f"{wide};kansenstatuut;2026-01-01\n"))
    assert (report["pending"], report["rejected"]) == (0, 1)
    assert report["rejections"] == [
        {
            "row": 1,
            "reason": "insz: an INSZ is written in the digits 0-9, with spaces, dots or hyphens",
        }
    ]
    assert wide not in json.dumps(report, ensure_ascii=False)


async def test_dates_in_other_spellings_than_the_apis_are_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    insz = an_insz(date(1985, 7, 30), counter=25)
    body = HEADER + "".join(
        f"{insz};kansenstatuut;{spelling}\n"
        for spelling in ("20260101", "2026-W01-1", "２０２６-01-01", "2026-02-30")
    )
    report = _report(await _import(client, session, body))
    assert report["rejected"] == 4
    assert {r["reason"] for r in report["rejections"]} == {"valid_from: not a date (YYYY-MM-DD)"}


async def test_a_json_line_nested_past_the_parsers_recursion_is_a_rejected_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = "[" * 1_999 + "\n" + json.dumps({"insz": {"a": 1}, "type": "x", "valid_from": ""})
    report = _report(await _import(client, session, body, NDJSON))
    assert report["rejections"] == [
        {"row": 1, "reason": "not a JSON object"},
        {"row": 2, "reason": "values must be strings (or null)"},
    ]


async def test_a_header_that_cannot_be_read_is_a_422_problem(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for body in ('"insz;type;valid_from\n', "x" * 5_000 + "\n"):
        assert_problem(await _import(client, session, body), 422, "import-unreadable")


async def test_a_reason_never_quotes_what_the_line_holds(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    insz = an_insz(date(1985, 7, 30), counter=26)
    # A column or key named like an internal marker must not turn its value into a reason.
    body = json.dumps({"__error__": insz, "insz": insz + "0", "type": "x", "valid_from": ""})
    response = await _import(client, session, body, NDJSON)
    assert insz not in response.text
    assert _report(response)["rejections"] == [{"row": 1, "reason": "insz: an INSZ has 11 digits"}]
