"""A sale's lines: the tariff the desk chose (or why it is no longer offered) and companions.

A sale re-prices each line and sells only at the tariff the desk chose from its quote. When
that tariff is gone from the fresh quote, the reason tells the desk what to do: the card was
blocked or replaced meanwhile; the limit or budget it was built on was used up by another
sale (sell without it); or anything else changed the price (sell at a tariff of the fresh
quote).

Companions (the European Disability Card's assistant) come as a line of their own next to
the holder's, at the companion price on the regular price, funded by the base scheme's key
and using up no limit. The maximum is per holder and offer across the sale's lines, so
splitting a sale into lines does not raise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.domain.cards import CardStatus
from app.domain.funding import FundingShare
from app.domain.pricing import CompanionTerms, Quote, Tariff, TariffPart, tariff_id_parts
from app.domain.reasons import Reason

# The label of a companions' line (labels are stored in Dutch, as a tariff's).
COMPANION_LABEL = "Begeleider"


class TariffGone(StrEnum):
    """Why the tariff a desk chose is not in the fresh quote."""

    CARD_BLOCKED = "card_blocked"
    CARD_REPLACED = "card_replaced"
    # A count limit of the scheme the tariff was built on has no tickets (enough) left.
    LIMIT_REACHED = "limit_reached"
    # Its discount budget is used up.
    BUDGET_EXHAUSTED = "budget_exhausted"
    # A group's allocation has not enough left (or none runs on the day).
    ALLOCATION_EXHAUSTED = "allocation_exhausted"
    # More tickets than the group scheme sells at once.
    GROUP_TOO_LARGE = "group_too_large"
    # Anything else: a new scheme version, another regular price, another split.
    PRICE_CHANGED = "price_changed"


_COUNT_LIMITS = frozenset({Reason.LIMIT_REACHED, Reason.QUANTITY_EXCEEDS_LIMIT})
_ALLOCATION = frozenset({Reason.ALLOCATION_EXHAUSTED, Reason.NO_ALLOCATION})


def chosen_tariff(quote: Quote, tariff_id: str) -> Tariff | TariffGone:
    """The tariff `tariff_id` of the fresh `quote`, or why it is gone."""
    if quote.card_refused == CardStatus.REPLACED:
        return TariffGone.CARD_REPLACED
    if quote.card_refused is not None:
        return TariffGone.CARD_BLOCKED
    for tariff in quote.tariffs:
        if tariff.tariff_id == tariff_id:
            return tariff
    parts = tariff_id_parts(tariff_id)
    if parts is not None:
        for refusal in quote.not_applicable:
            if refusal.scheme_code != parts.scheme_code:
                continue
            if refusal.reason in _COUNT_LIMITS:
                return TariffGone.LIMIT_REACHED
            if refusal.reason == Reason.BUDGET_EXHAUSTED:
                return TariffGone.BUDGET_EXHAUSTED
            if refusal.reason in _ALLOCATION:
                return TariffGone.ALLOCATION_EXHAUSTED
            if refusal.reason == Reason.GROUP_TOO_LARGE:
                return TariffGone.GROUP_TOO_LARGE
    return TariffGone.PRICE_CHANGED


# --- companions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompanionAsk:
    """The companions one line of a sale asks for, next to its holder at its offer."""

    passholder_id: str
    offer_id: str
    companions: int


@dataclass(frozen=True, slots=True)
class TooManyCompanions:
    """A line asks more companions than its tariff admits (`most`: 0 for none at all),
    counting those the sale's earlier lines for the same holder and offer brought."""

    most: int


def companions_refusal(
    earlier: Sequence[CompanionAsk], line: CompanionAsk, terms: CompanionTerms | None
) -> TooManyCompanions | None:
    """None when `line`'s companions fit its tariff's maximum (`terms`: None for a tariff
    without companions) together with the `earlier` lines' for the same holder and offer."""
    most = 0 if terms is None else terms.max
    same = (line.passholder_id, line.offer_id)
    brought = sum(ask.companions for ask in earlier if (ask.passholder_id, ask.offer_id) == same)
    return TooManyCompanions(most) if brought + line.companions > most else None


@dataclass(frozen=True, slots=True)
class CompanionLine:
    """The companions' tickets as sold: the base scheme's, at the companion price."""

    scheme_code: str
    scheme_version: int
    label: str
    quantity: int
    unit_price_cents: int
    discount_cents: int  # per ticket
    total_cents: int
    parts: tuple[TariffPart, ...]
    funding: tuple[FundingShare, ...]


def companion_line(terms: CompanionTerms, count: int) -> CompanionLine:
    """`count` companions at `terms` (1 to `terms.max`; `ValueError` otherwise)."""
    return CompanionLine(
        scheme_code=terms.scheme_code,
        scheme_version=terms.scheme_version,
        label=f"{COMPANION_LABEL} ({terms.scheme_name.nl})",
        quantity=count,
        unit_price_cents=terms.unit_price_cents,
        discount_cents=terms.discount_cents,
        total_cents=terms.unit_price_cents * count,
        parts=(TariffPart(terms.scheme_code, terms.scheme_version, terms.discount_cents),),
        funding=terms.funding(count),
    )
