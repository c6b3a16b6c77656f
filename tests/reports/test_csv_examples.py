"""The CSV examples of the OpenAPI document have the columns the reports really answer."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.examples import CSV_RESPONSES
from app.domain.access import Role
from tests.factories import a_region, bearer_for
from tests.reports.factories import read_csv

PATHS = {
    "getSettlementReport": "/v1/reports/settlement",
    "getParticipationReport": "/v1/reports/participation",
    "getAllocationReport": "/v1/reports/allocations",
    "getNonTakeUpReport": "/v1/reports/non-take-up",
}


def test_every_report_with_a_csv_answer_has_a_csv_example() -> None:
    assert set(CSV_RESPONSES) == set(PATHS)


@pytest.mark.parametrize("operation", sorted(PATHS))
async def test_a_csv_example_has_the_columns_of_the_english_csv(
    operation: str, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    response = await client.get(
        PATHS[operation],
        headers={**headers, "Accept": "text/csv", "Accept-Language": "en"},
        params={"region_id": region.id},
    )
    assert response.status_code == 200, response.text
    example = list(csv.reader(io.StringIO(CSV_RESPONSES[operation], newline="")))
    answered = read_csv(response)
    assert example[0] == answered[0]
    assert {len(row) for row in example} == {len(answered[0])}
