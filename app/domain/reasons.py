"""Why a scheme was considered for a sale and not applied: machine-readable, stable slugs.

Clients switch on these values, so they are part of the API contract; add, never rename.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # The card is not `active` (blocked, replaced): no scheme applies, whatever else holds.
    CARD_BLOCKED = "card_blocked"
    # The scheme is not valid on the day of the sale.
    NOT_VALID_AT_DATE = "not_valid_at_date"
    # `applies_to` does not cover the offer's category, price class or price. (A scheme
    # that is not meant for the offer's partner at all is not considered, so not listed.)
    NOT_APPLICABLE_TO_OFFER = "not_applicable_to_offer"
    # The holder does not meet the eligibility conditions on the activity date…
    NOT_ELIGIBLE = "not_eligible"
    # …but would, if a status that expired or ended were still counting: renewing helps.
    ENTITLEMENT_EXPIRED = "entitlement_expired"
    # A count limit is used up.
    LIMIT_REACHED = "limit_reached"
    # Some tickets are left under a count limit, but fewer than the quantity asked; the
    # detail says how many, so the desk can sell that many instead.
    QUANTITY_EXCEEDS_LIMIT = "quantity_exceeds_limit"
    # The discount budget has nothing left (or less than a cent per ticket asked).
    BUDGET_EXHAUSTED = "budget_exhausted"
    # An `on_top` scheme that would take nothing off (the price is already 0, or its rule
    # gives no reduction on it); it is not applied, so it does not use up its limits.
    NO_REDUCTION = "no_reduction"
    # A group scheme: the organisation has no allocation under it on the day…
    NO_ALLOCATION = "no_allocation"
    # …or its allocation has fewer tickets left than asked (the detail says how many).
    ALLOCATION_EXHAUSTED = "allocation_exhausted"
    # More tickets than the group scheme's max_group_size in one sale.
    GROUP_TOO_LARGE = "group_too_large"
