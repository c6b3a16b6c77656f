"""How big the dataset is: the full size (scale 1.0) and what a scale makes of it."""

from __future__ import annotations

from dataclasses import dataclass

from .places import REGIONS

FULL_PASSHOLDERS = 1_000_000
FULL_PARTNERS = 1_000
FULL_OFFERS = 20_000
FULL_SALES = 2_000_000


@dataclass(frozen=True, slots=True)
class Sizes:
    passholders: int
    partners: int
    offers: int
    sales: int

    @staticmethod
    def at(scale: float) -> Sizes:
        regions = len(REGIONS)
        return Sizes(
            passholders=max(200, round(FULL_PASSHOLDERS * scale)),
            partners=max(2 * regions, round(FULL_PARTNERS * scale)),
            offers=max(20 * regions, round(FULL_OFFERS * scale)),
            sales=max(200, round(FULL_SALES * scale)),
        )
