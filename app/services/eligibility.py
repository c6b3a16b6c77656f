"""The anonymous self-check: which schemes might I qualify for, and how do I apply?

It answers from what the person says about themselves and stores and logs nothing of it.
The person is described as the price calculation sees a holder, and the calculation says
which schemes they would be eligible for (app.domain.pricing.eligible_schemes): the same
conditions, judged the same way, as at the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels
from app.db import passholders as db_passholders
from app.db import regions as db_regions
from app.domain.entitlements import EntitlementFact
from app.domain.facts import HolderFacts
from app.domain.people import birth_date_problem
from app.domain.pricing import eligible_schemes
from app.domain.schemes import SchemeDefinition
from app.errors import Unprocessable
from app.services.catalog import CATALOG
from app.services.lookup import field_error
from app.services.schemes import place_names, summaries


@dataclass(frozen=True, slots=True)
class Match:
    scheme: SchemeDefinition
    summary: dict[str, str]
    # Where it can be used, when only at the partners of its own region.
    valid_at_partners_of: str | None


async def check(
    session: AsyncSession,
    *,
    municipality_nis: str | None,
    postal_code: str | None,
    birth_date: date,
    statuses: frozenset[str],
) -> list[Match]:
    today = today_in_brussels()
    problem = birth_date_problem(birth_date, today)
    if problem is not None:
        raise field_error("/birth_date", problem)
    if municipality_nis is None:
        assert postal_code is not None
        found = await db_passholders.municipalities_of_postal_code(session, postal_code)
        if not found:
            raise Unprocessable(
                f"Postal code {postal_code} is not part of any pass region.",
                code="not-in-a-pass-region",
            )
        # Several municipalities may share a postal code; the first is as good a guess for
        # a self-check, and the answer says "may qualify", not "does".
        municipality_nis = found[0]
    region_id = await db_regions.municipality_region(session, municipality_nis)
    if region_id is None:
        raise Unprocessable(
            f"Municipality {municipality_nis} is not part of any pass region.",
            code="not-in-a-pass-region",
        )
    regions = await db_regions.get_regions(session)
    code = next(r.code for r in regions if r.id == region_id)
    # The statuses the person says they have are taken to count today, in their home region.
    person = HolderFacts(
        passholder_id="self-check",
        birth_date=birth_date,
        municipality_nis=municipality_nis,
        region=code,
        entitlements=tuple(
            EntitlementFact(type=status, region=code, valid_from=today, valid_until=None)
            for status in sorted(statuses)
        ),
    )
    names = place_names(regions)
    catalog = await CATALOG.get(session)
    matches = []
    for scheme in eligible_schemes(person, on=today, schemes=catalog.schemes):
        local = scheme.applies_to.partners == "owner_region" and scheme.owner_region
        where = names.get(scheme.owner_region or "") if local else None
        matches.append(Match(scheme, summaries(scheme, names), where))
    # The person's own region first: that is where they will use the pass most.
    matches.sort(key=lambda m: (m.scheme.owner_region not in (code, None), m.scheme.code))
    return matches
