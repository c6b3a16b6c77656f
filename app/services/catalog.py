"""The compiled scheme catalogue, cached per process and invalidated through the database.

Every quote reads the catalogue generation (one small row, in the same query as the card);
when another process changed a scheme, the generation differs and the catalogue is
reloaded. The same tuple of parsed schemes is handed to the price calculation each time,
which lets it keep its compiled plans (see docs/performance.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import schemes as db
from app.domain.conditions import group_only, voucher_only
from app.domain.schemes import SchemeDefinition, parse_scheme


@dataclass(frozen=True, slots=True)
class Catalog:
    generation: int
    schemes: tuple[SchemeDefinition, ...]
    # The schemes a card holder can meet: all but those only a voucher or a group meets
    # (computed once per catalogue, so a card's quote prices the same tuple every time).
    card_schemes: tuple[SchemeDefinition, ...] = ()
    # The schemes of group cards: those only a group meets. A person's schemes never apply
    # to a group card, nor a group's to a person's card.
    group_schemes: tuple[SchemeDefinition, ...] = ()
    _alone: dict[str, tuple[SchemeDefinition, ...]] = field(default_factory=dict, compare=False)

    def alone(self, code: str) -> tuple[SchemeDefinition, ...]:
        """The scheme `code` as a catalogue of its own (what a voucher's allocation names),
        the same tuple each time so the price calculation compiles it once."""
        found = self._alone.get(code)
        if found is None:
            found = self._alone[code] = tuple(s for s in self.schemes if s.code == code)
        return found

    @classmethod
    def of(cls, generation: int, schemes: tuple[SchemeDefinition, ...]) -> Catalog:
        return cls(
            generation,
            schemes,
            tuple(
                s
                for s in schemes
                if not voucher_only(s.eligibility) and not group_only(s.eligibility)
            ),
            tuple(s for s in schemes if group_only(s.eligibility)),
        )


class CatalogCache:
    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._lock = asyncio.Lock()

    async def get(self, session: AsyncSession, generation: int | None = None) -> Catalog:
        if generation is None:
            generation = await db.catalog_version(session)
        current = self._catalog
        if current is not None and current.generation == generation:
            return current
        async with self._lock:
            current = self._catalog
            if current is not None and current.generation == generation:
                return current
            rows = await db.current_versions(session)
            current = Catalog.of(generation, tuple(parse_scheme(row.definition) for row in rows))
            self._catalog = current
            return current

    @property
    def known_generation(self) -> int | None:
        """The generation of the catalogue this process last loaded (None: none yet)."""
        return None if self._catalog is None else self._catalog.generation

    async def last_known(self, session: AsyncSession) -> Catalog:
        """The catalogue this process last loaded, without asking the database whether it
        is still current: for a caller that reads the generation itself in its own query
        and calls `get` with it when it differs."""
        return self._catalog or await self.get(session)


CATALOG = CatalogCache()
