"""The scheme catalogue: create and version schemes, describe them in plain language.

The API names a scheme's owner by `region_id` or by the code in `owner_region`; the domain
speaks of region codes. This is where the one becomes the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import regions as db_regions
from app.db import schemes as db
from app.db.regions import RegionRow
from app.domain.access import Principal, Role, Tenant
from app.domain.localized import LANGUAGES
from app.domain.schemes import SchemeDefinition, SchemeValidationError, parse_scheme
from app.domain.summary import describe
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.i18n import texts
from app.services.access import ensure

EDITORS = frozenset({Role.REGION_ADMIN})


@dataclass(frozen=True, slots=True)
class StoredScheme:
    definition: SchemeDefinition
    region_id: str | None
    summary: dict[str, str]


def _invalid(errors: Sequence[tuple[str, str]]) -> Unprocessable:
    first = errors[0] if errors else ("", "invalid")
    return Unprocessable(
        f"{len(errors)} problem(s) in the scheme, first at {first[0] or '/'}: {first[1]}",
        code="invalid-scheme",
        extra={"errors": [{"pointer": at, "detail": message} for at, message in errors[:50]]},
    )


async def _regions(session: AsyncSession) -> list[RegionRow]:
    return await db_regions.get_regions(session)


def place_names(regions: Sequence[RegionRow]) -> dict[str, str]:
    """Region codes and NIS codes to names, for the plain-language summary."""
    names = {region.code: region.name for region in regions}
    for region in regions:
        names |= {m.nis_code: m.name for m in region.municipalities}
    return names


def summaries(definition: SchemeDefinition, names: Mapping[str, str]) -> dict[str, str]:
    return {lang: describe(definition, texts(lang), names) for lang in LANGUAGES}


def _definition(
    body: Mapping[str, Any], regions: Sequence[RegionRow], *, code: str | None, version: int
) -> tuple[SchemeDefinition, str | None]:
    """Parse an API body: the owner is named by `owner_region` (its code, as GET answers
    it in `definition`) or by `region_id` (its id); both: the same region. The version is
    the server's to give."""
    data = dict(body)
    region_id = data.pop("region_id", None)
    data.pop("version", None)
    owner_code = None
    if region_id is not None:
        by_id = {region.id: region for region in regions}
        if not isinstance(region_id, str) or region_id not in by_id:
            raise _invalid([("/region_id", "no region with this id")])
        owner_code = by_id[region_id].code
    if "owner_region" in data:
        named = data.pop("owner_region")
        by_code = {region.code: region for region in regions}
        if named is not None and (not isinstance(named, str) or named not in by_code):
            raise _invalid([("/owner_region", "no region with this code")])
        if "region_id" in body and named != owner_code:
            raise _invalid([("/owner_region", "names another region than region_id")])
        owner_code = named
        region_id = None if named is None else by_code[named].id
    if code is not None:
        if data.get("code", code) != code:
            raise _invalid([("/code", "the code in the body differs from the one in the path")])
        data["code"] = code
    try:
        definition = parse_scheme({**data, "owner_region": owner_code, "version": version})
    except SchemeValidationError as error:
        raise _invalid(error.errors) from None
    unknown = _unknown_region_codes(definition.to_dict(), {r.code for r in regions})
    if unknown:
        raise _invalid([(at, f"no region with code {value}") for at, value in unknown])
    return definition, region_id


def _unknown_region_codes(value: object, known: set[str], at: str = "") -> list[tuple[str, str]]:
    """Region codes named in conditions (`in_region`, `resident_of`) that do not exist."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{at}/{key}"
            if key in ("in_region", "resident_of") and isinstance(item, str):
                if item not in ("owner", "any") and item not in known:
                    found.append((here, item))
            else:
                found += _unknown_region_codes(item, known, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _unknown_region_codes(item, known, f"{at}/{index}")
    return found


def _authorize(principal: Principal, region_id: str | None) -> None:
    if region_id is None:
        if not principal.is_admin:
            raise Forbidden("Only an admin manages platform-wide schemes.")
        return
    ensure(principal, EDITORS, Tenant(region_id=region_id), hide=False)


async def _store(
    session: AsyncSession, principal: Principal, definition: SchemeDefinition, region_id: str | None
) -> None:
    """Write a version; the unit of work commits (once, so an import is all or nothing)."""
    try:
        await db.insert_version(
            session,
            code=definition.code,
            version=definition.version,
            owner_region_id=region_id,
            definition=definition.to_dict(),
            created_by=principal.client_id,
            now=utcnow(),
        )
    except IntegrityError:
        raise Conflict(
            f"Scheme {definition.code} v{definition.version} was written at the same moment.",
            code="scheme-version-conflict",
        ) from None


async def create_scheme(
    session: AsyncSession, principal: Principal, body: Mapping[str, Any]
) -> StoredScheme:
    regions = await _regions(session)
    definition, region_id = _definition(body, regions, code=None, version=1)
    _authorize(principal, region_id)
    if await db.latest(session, definition.code) is not None:
        raise Conflict(
            f"Scheme {definition.code} exists; PUT /v1/schemes/{definition.code} adds a version.",
            code="already-exists",
        )
    await _store(session, principal, definition, region_id)
    return StoredScheme(definition, region_id, summaries(definition, place_names(regions)))


async def new_version(
    session: AsyncSession, principal: Principal, code: str, body: Mapping[str, Any]
) -> tuple[StoredScheme, bool]:
    """A new version of `code`; (scheme, created). An unchanged definition makes none."""
    current = await db.latest(session, code)
    if current is None:
        raise NotFound(f"No scheme {code[:64]!r}.")
    _authorize(principal, current.owner_region_id)
    regions = await _regions(session)
    definition, region_id = _definition(body, regions, code=code, version=current.version + 1)
    if region_id != current.owner_region_id:
        raise _invalid([("/region_id", "a scheme keeps its owner region")])
    names = place_names(regions)
    if replace(definition, version=current.version) == parse_scheme(current.definition):
        unchanged = parse_scheme(current.definition)
        return StoredScheme(unchanged, region_id, summaries(unchanged, names)), False
    await _store(session, principal, definition, region_id)
    return StoredScheme(definition, region_id, summaries(definition, names)), True


async def list_schemes(session: AsyncSession) -> list[StoredScheme]:
    names = place_names(await _regions(session))
    stored = []
    for row in await db.current_versions(session):
        definition = parse_scheme(row.definition)
        stored.append(StoredScheme(definition, row.owner_region_id, summaries(definition, names)))
    return stored


async def get_scheme(session: AsyncSession, code: str, version: int | None) -> StoredScheme:
    row = await (
        db.latest(session, code) if version is None else db.get_version(session, code, version)
    )
    if row is None:
        raise NotFound(f"No scheme {code[:64]!r}" + (f" version {version}." if version else "."))
    definition = parse_scheme(row.definition)
    names = place_names(await _regions(session))
    return StoredScheme(definition, row.owner_region_id, summaries(definition, names))


async def import_definitions(
    session: AsyncSession, principal: Principal, definitions: Sequence[SchemeDefinition]
) -> list[str]:
    """Load catalogue files: a new scheme or a new version where a file differs; else nothing.

    Running it twice on the same files changes nothing.
    """
    by_code = {region.code: region.id for region in await _regions(session)}
    unknown = [
        d for d in definitions if d.owner_region is not None and d.owner_region not in by_code
    ]
    if unknown:
        raise Unprocessable(
            "; ".join(f"{d.code}: owner region {d.owner_region} does not exist" for d in unknown)
        )
    changed: list[str] = []
    for definition in definitions:
        region_id = None if definition.owner_region is None else by_code[definition.owner_region]
        current = await db.latest(session, definition.code)
        if current is None:
            versioned = replace(definition, version=1)
        elif replace(definition, version=current.version) == parse_scheme(current.definition):
            continue
        else:
            versioned = replace(definition, version=current.version + 1)
        await _store(session, principal, versioned, region_id)
        changed.append(f"{versioned.code} v{versioned.version}")
    return changed
