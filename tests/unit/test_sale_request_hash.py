"""The digest an Idempotency-Key is tied to must not change between releases: a retry that
spans an upgrade would otherwise be refused as another request."""

from __future__ import annotations

from app.services.sales import request_hash

# A sale body as POST /v1/sales keys it (fields at their defaults left out).
BODY = {
    "items": [
        {
            "card_number": "5395011334637",
            "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
            "price_class": "standard",
            "tariff_id": "KORTRIJK_KANSENTARIEF.0123456789abcdef",
        }
    ]
}


def test_the_digest_of_a_sale_body_is_the_one_stored_keys_were_made_with() -> None:
    assert request_hash(BODY) == "6f32e94df03be01237c9374ff736b7576ec3fe59b1140f703ed60039cd857aa7"


def test_the_digest_does_not_depend_on_the_order_of_the_fields() -> None:
    reordered = {"items": [dict(reversed(list(BODY["items"][0].items())))]}

    assert request_hash(reordered) == request_hash(BODY)
