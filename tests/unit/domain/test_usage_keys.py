"""A quote loads only the usage buckets of schemes that can apply to the offer."""

from __future__ import annotations

from app.domain.pricing import usage_keys
from tests.unit.domain.factories import (
    SALE_DAY,
    holder,
    kansentarief,
    offer,
    quote,
    scheme,
    status,
)


def test_only_the_buckets_of_schemes_for_this_partner_are_read() -> None:
    schemes = (
        kansentarief(),
        kansentarief(code="BRUGGE_KANSENTARIEF", owner_region="BRUGGE"),
        scheme(code="NO_LIMITS"),
    )
    keys = usage_keys(offer(), SALE_DAY, schemes)
    assert keys == ("KORTRIJK_KANSENTARIEF|offer:offer-1|absolute",)


def test_every_claim_of_every_tariff_is_among_the_keys_read() -> None:
    coupon = scheme(
        code="WELKOMSTBON",
        stacking="on_top",
        price={"type": "amount_off", "amount_cents": 500},
        limits=[{"count": 1, "scope": "scheme", "period": "absolute"}],
    )
    schemes = (kansentarief(), coupon)
    result = quote(schemes, for_holder=holder(status(valid_until=None)))
    keys = set(usage_keys(offer(), SALE_DAY, schemes))
    claimed = {claim.bucket_key for t in result.tariffs for claim in t.usage_claims}
    assert claimed
    assert claimed <= keys
