"""The body an Idempotency-Key is tied to: stable across the upgrade that added companions."""

from __future__ import annotations

from app.api.routes.sales import SaleIn, _canonical
from app.services.sales import request_hash

ITEM = {
    "card_number": "5395011334637",
    "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
    "price_class": "standard",
    "tariff_id": "KORTRIJK_KANSENTARIEF.0123456789abcdef",
}
# The canonical body as it was before sale items had "companions".
BEFORE_COMPANIONS = {"items": [ITEM | {"quantity": 1}], "hold": False}


def test_a_sale_without_companions_hashes_as_before_the_field_existed() -> None:
    for body in ({"items": [ITEM]}, {"items": [ITEM | {"companions": 0}]}):
        canonical = _canonical(SaleIn.model_validate(body))

        assert request_hash(canonical) == request_hash(BEFORE_COMPANIONS)


def test_companions_are_part_of_what_the_key_is_tied_to() -> None:
    with_one = _canonical(SaleIn.model_validate({"items": [ITEM | {"companions": 1}]}))

    assert request_hash(with_one) != request_hash(BEFORE_COMPANIONS)
    assert with_one["items"][0]["companions"] == 1
