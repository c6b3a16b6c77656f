"""The compiled scheme catalogue, cached per process and invalidated through the database.

Every quote reads the catalogue generation (one small row, in the same query as the card);
when another process changed a scheme, the generation differs and the catalogue is
reloaded. The same tuple of parsed schemes is handed to the price calculation each time,
which lets it keep its compiled plans (see docs/performance.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import schemes as db
from app.domain.schemes import SchemeDefinition, parse_scheme


@dataclass(frozen=True, slots=True)
class Catalog:
    generation: int
    schemes: tuple[SchemeDefinition, ...]


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
            current = Catalog(generation, tuple(parse_scheme(row.definition) for row in rows))
            self._catalog = current
            return current

    async def last_known(self, session: AsyncSession) -> Catalog:
        """The catalogue this process last loaded, without asking the database whether it
        is still current: for a caller that reads the generation itself in its own query
        and calls `get` with it when it differs."""
        return self._catalog or await self.get(session)


CATALOG = CatalogCache()
