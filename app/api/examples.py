# ruff: noqa: E501  (a CSV row or an example reads best on one line)
"""Examples for the OpenAPI document: what the desk, registry and report calls send and
answer, taken from the demo (`openpas demo`) so that they are real answers of this code.

They are set on the document's components by name (`app.main`), not on the models, so
that a model's code stays what it validates; `tests/api/test_openapi_contract.py` checks
that each still fits its schema.
"""

from __future__ import annotations

from typing import Any, Final

# Request bodies, by component name.
_WEBHOOK: Final[dict[str, Any]] = {
    "id": "6f1d2c3b-9a87-4e65-b432-10fedcba9876",
    "url": "https://crm.regio-kortrijk.example/openpas",
    "events": ["entitlement.granted", "sale.confirmed"],
    "description": "CRM van de regio",
    "role": "registry",
    "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
    "partner_id": None,
    "created_at": "2026-12-04T09:30:00Z",
    "enabled": True,
    "disabled_at": None,
    "disabled_reason": None,
    "previous_secret_expires_at": None,
}
_DELIVERY: Final[dict[str, Any]] = {
    "id": "0b8e7f61-2d4c-4a9b-8e3f-5c6d7e8f9a01",
    "type": "sale.confirmed",
    "cursor": "eyJ0IjoxMjczMywicyI6MzB9",
    "status": "pending",
    "attempts": 2,
    "last_response_code": 503,
    "last_error": "HTTP 503",
    "next_attempt_at": "2026-12-04T09:31:10Z",
    "occurred_at": "2026-12-04T09:30:30Z",
    "delivered_at": None,
}

REQUESTS: Final[dict[str, dict[str, Any]]] = {
    "WebhookIn": {
        "url": "https://crm.regio-kortrijk.example/openpas",
        "events": ["sale.confirmed", "entitlement.granted"],
        "description": "CRM van de regio",
    },
    "WebhookPatch": {"enabled": True},
    "QuoteIn": {
        "card_number": "5395011334637",
        "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
        "price_class": "standard",
        "quantity": 1,
    },
    "SaleIn": {
        "items": [
            {
                "card_number": "5395011334637",
                "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
                "price_class": "standard",
                "tariff_id": "KORTRIJK_KANSENTARIEF.7908b258ed8bdedea8db",
                "quantity": 1,
            }
        ],
        "hold": False,
    },
    "CheckinIn": {
        "card_number": "5395011334637",
        "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
    },
    "PassholderIn": {
        "first_name": "Nora",
        "last_name": "Willems",
        "birth_date": "1990-02-03",
        "postal_code": "8500",
        "insz": "90020301454",
    },
    "SearchIn": {"card_number": "5395011334637"},
    "PassholderPatch": {"email": "nora.willems@example.org"},
    "MoveIn": {"postal_code": "8000"},
    "BlockIn": {"reason": "lost"},
    "EntitlementIn": {
        "type": "kansenstatuut",
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "valid_from": "2026-11-01",
    },
    "SuspendIn": {"until": "2027-01-31"},
    "EndIn": {"on": "2026-12-31"},
    "GroupCardIn": {"label": "Klas 5B"},
    "GroupCardBlockIn": {"reason": "lost"},
    "TicketRequestIn": {
        "allocation_id": "5b0c1f0e-3a6d-5d47-9f0e-0c1b2a3d4e5f",
        "tickets": 12,
        "price_class": "standard",
        "note": "Klas 5B en twee leerkrachten, voorstelling van 10 uur",
    },
    "DeclineIn": {"reason": "Die voorstelling is uitverkocht; de avondvoorstelling kan wel."},
}

_GROUP_CARD: Final[dict[str, Any]] = {
    "number": "8800000000179",
    "organisation_id": "2d3e4f50-6172-5384-95a6-b7c8d9e0f1a2",
    "label": "Klas 5B",
    "status": "active",
    "issued_at": "2026-12-04T09:00:00Z",
    "blocked_at": None,
    "block_reason": None,
}
_TICKET_REQUEST: Final[dict[str, Any]] = {
    "id": "9c8b7a69-5847-4a3b-8c2d-1e0f9a8b7c6d",
    "status": "accepted",
    "organisation_id": "2d3e4f50-6172-5384-95a6-b7c8d9e0f1a2",
    "allocation_id": "5b0c1f0e-3a6d-5d47-9f0e-0c1b2a3d4e5f",
    "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
    "offer_title": "Jeugdvoorstelling",
    "partner_id": "7398aa50-00e4-5739-a030-2f45c9242741",
    "price_class": "standard",
    "tickets": 12,
    "note": "Klas 5B en twee leerkrachten, voorstelling van 10 uur",
    "requested_at": "2026-12-04T09:05:00Z",
    "decided_at": "2026-12-04T10:30:00Z",
    "reason": None,
    "sale_id": "67663326-8498-4008-b490-83fa68cf0098",
}

# JSON answers, by component name.
RESPONSES: Final[dict[str, dict[str, Any]]] = {
    "GroupCardOut": _GROUP_CARD,
    "GroupCardList": {"items": [_GROUP_CARD], "next_cursor": None},
    "TicketRequestOut": _TICKET_REQUEST,
    "TicketRequestPage": {"items": [_TICKET_REQUEST], "next_cursor": None},
    "WebhookCreated": {**_WEBHOOK, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    "WebhookOut": _WEBHOOK,
    "WebhookPage": {"items": [_WEBHOOK], "next_cursor": None},
    "DeliveryOut": _DELIVERY,
    "DeliveryPage": {"items": [_DELIVERY]},
    "RotatedSecret": {
        "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        "previous_secret_expires_at": "2026-12-05T09:30:00Z",
    },
    "QuoteOut": {
        "holder": {"display_name": "Sofie D.", "card_status": "active"},
        "voucher": None,
        "group": None,
        "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
        "price_class": "standard",
        "quantity": 1,
        "regular_price_cents": 11900,
        "tariffs": [
            {
                "tariff_id": "KORTRIJK_KANSENTARIEF.7908b258ed8bdedea8db",
                "scheme_code": "KORTRIJK_KANSENTARIEF",
                "scheme_version": 1,
                "label": "Kansentarief + Welkomstbon",
                "unit_price_cents": 1880,
                "discount_cents": 10020,
                "quantity": 1,
                "total_cents": 1880,
                "remaining": 1,
                "on_top": ["KORTRIJK_WELKOMSTBON"],
                "funding": [
                    {
                        "payer": "partner",
                        "scheme_code": "KORTRIJK_KANSENTARIEF",
                        "amount_cents": 4760,
                    },
                    {
                        "payer": "scheme_owner",
                        "scheme_code": "KORTRIJK_KANSENTARIEF",
                        "amount_cents": 4760,
                    },
                    {
                        "payer": "scheme_owner",
                        "scheme_code": "KORTRIJK_WELKOMSTBON",
                        "amount_cents": 500,
                    },
                ],
                "companions": None,
            }
        ],
        "best_tariff_id": "KORTRIJK_KANSENTARIEF.7908b258ed8bdedea8db",
        "not_applicable": [
            {
                "scheme_code": "ARTIKEL_27",
                "reason": "not_applicable_to_offer",
                "detail": "category not covered",
            },
            {"scheme_code": "EUROPEAN_DISABILITY_CARD", "reason": "not_eligible", "detail": None},
            {"scheme_code": "KORTRIJK_65_PLUS", "reason": "not_eligible", "detail": None},
            {"scheme_code": "KORTRIJK_JONGER_DAN_12", "reason": "not_eligible", "detail": None},
        ],
    },
    "SaleOut": {
        "id": "67663326-8498-4008-b490-83fa68cf0098",
        "partner_id": "7398aa50-00e4-5739-a030-2f45c9242741",
        "status": "confirmed",
        "created_at": "2026-12-04T09:15:28Z",
        "hold_expires_at": None,
        "confirmed_at": "2026-12-04T09:15:28Z",
        "cancelled_at": None,
        "total_cents": 1880,
        "items": [
            {
                "id": "6da6f168-b859-4f9f-98b6-56b8ca89e220",
                "card_number": "5395011334637",
                "voucher_code": None,
                "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
                "price_class": "standard",
                "scheme_code": "KORTRIJK_KANSENTARIEF",
                "scheme_version": 1,
                "label": "Kansentarief + Welkomstbon",
                "regular_price_cents": 11900,
                "unit_price_cents": 1880,
                "discount_cents": 10020,
                "quantity": 1,
                "total_cents": 1880,
                "activity_date": "2026-12-04",
                "funding": [
                    {
                        "payer": "partner",
                        "scheme_code": "KORTRIJK_KANSENTARIEF",
                        "amount_cents": 4760,
                    },
                    {
                        "payer": "scheme_owner",
                        "scheme_code": "KORTRIJK_KANSENTARIEF",
                        "amount_cents": 4760,
                    },
                    {
                        "payer": "scheme_owner",
                        "scheme_code": "KORTRIJK_WELKOMSTBON",
                        "amount_cents": 500,
                    },
                ],
                "companion_of": None,
            }
        ],
    },
    "SalePage": {
        "items": [
            {
                "id": "67663326-8498-4008-b490-83fa68cf0098",
                "partner_id": "7398aa50-00e4-5739-a030-2f45c9242741",
                "status": "cancelled",
                "created_at": "2026-12-04T09:15:28Z",
                "hold_expires_at": None,
                "confirmed_at": "2026-12-04T09:15:28Z",
                "cancelled_at": "2026-12-04T09:21:40Z",
                "total_cents": 1880,
                "items": [
                    {
                        "id": "6da6f168-b859-4f9f-98b6-56b8ca89e220",
                        "card_number": "5395011334637",
                        "voucher_code": None,
                        "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
                        "price_class": "standard",
                        "scheme_code": "KORTRIJK_KANSENTARIEF",
                        "scheme_version": 1,
                        "label": "Kansentarief + Welkomstbon",
                        "regular_price_cents": 11900,
                        "unit_price_cents": 1880,
                        "discount_cents": 10020,
                        "quantity": 1,
                        "total_cents": 1880,
                        "activity_date": "2026-12-04",
                        "funding": [
                            {
                                "payer": "partner",
                                "scheme_code": "KORTRIJK_KANSENTARIEF",
                                "amount_cents": 4760,
                            },
                            {
                                "payer": "scheme_owner",
                                "scheme_code": "KORTRIJK_KANSENTARIEF",
                                "amount_cents": 4760,
                            },
                            {
                                "payer": "scheme_owner",
                                "scheme_code": "KORTRIJK_WELKOMSTBON",
                                "amount_cents": 500,
                            },
                        ],
                        "companion_of": None,
                    }
                ],
            }
        ],
        "next_cursor": None,
    },
    "CheckinOut": {
        "id": "d5602446-1890-4406-bdab-bf4c07c3d87c",
        "offer_id": "f885b1c5-8e53-54f0-b4c6-a98fd001c18e",
        "visit_date": "2026-12-04",
        "people": 1,
        "recorded": True,
        "created_at": "2026-12-04T09:15:28Z",
    },
    "PassholderOut": {
        "id": "82b20076-e5c3-40dc-89c3-66aae1c1c06c",
        "first_name": "Nora",
        "last_name": "Willems",
        "birth_date": "1990-02-03",
        "postal_code": "8500",
        "municipality_nis": "34022",
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "email": None,
        "has_insz": True,
        "created_at": "2026-12-04T09:15:28Z",
        "updated_at": "2026-12-04T09:15:28Z",
    },
    "PassholderList": {
        "items": [
            {
                "id": "8084c558-e98f-4f98-b266-6a39b3babf72",
                "first_name": "Sofie",
                "last_name": "Desmet",
                "birth_date": "1985-07-30",
                "postal_code": "8500",
                "municipality_nis": "34022",
                "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
                "email": None,
                "has_insz": True,
                "created_at": "2026-12-04T09:15:27Z",
                "updated_at": "2026-12-04T09:15:27Z",
            }
        ]
    },
    "CardOut": {
        "number": "3944986979280",
        "status": "active",
        "passholder_id": "82b20076-e5c3-40dc-89c3-66aae1c1c06c",
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "issued_at": "2026-12-04T09:15:28Z",
        "blocked_at": None,
        "block_reason": None,
        "replaced_by": None,
    },
    "CardList": {
        "items": [
            {
                "number": "3944986979280",
                "status": "active",
                "passholder_id": "82b20076-e5c3-40dc-89c3-66aae1c1c06c",
                "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
                "issued_at": "2026-12-04T09:15:28Z",
                "blocked_at": None,
                "block_reason": None,
                "replaced_by": None,
            }
        ]
    },
    "EntitlementOut": {
        "id": "f4d533c9-70c2-483f-9e9c-2b5696373837",
        "type": "kansenstatuut",
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "valid_from": "2026-11-01",
        "valid_until": "2027-04-30",
        "suspended_until": None,
        "ended_on": None,
        "evidence": None,
        "source": "manual:demo-registry",
        "renews_id": None,
        "status": "active",
        "created_at": "2026-12-04T09:15:28Z",
    },
    "EntitlementList": {
        "on": "2026-12-04",
        "items": [
            {
                "id": "f4d533c9-70c2-483f-9e9c-2b5696373837",
                "type": "kansenstatuut",
                "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
                "valid_from": "2026-11-01",
                "valid_until": "2027-04-30",
                "suspended_until": None,
                "ended_on": None,
                "evidence": None,
                "source": "manual:demo-registry",
                "renews_id": None,
                "status": "active",
                "created_at": "2026-12-04T09:15:28Z",
            }
        ],
    },
    "ImportReportOut": {
        "rows": 2,
        "granted": 0,
        "renewed": 0,
        "unchanged": 1,
        "pending": 0,
        "already_pending": 0,
        "rejected": 1,
        "rejections": [{"row": 2, "reason": "insz: an INSZ has 11 digits"}],
    },
    "SettlementOut": {
        "partner_id": None,
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "from_date": "2026-01-01",
        "to_date": "2027-01-01",
        "lines": [
            {
                "scheme_code": "KORTRIJK_KANSENTARIEF",
                "funded_scheme_code": "KORTRIJK_KANSENTARIEF",
                "payer": "partner",
                "payer_ref": "7398aa50-00e4-5739-a030-2f45c9242741",
                "tickets": 1,
                "regular_cents": 11900,
                "paid_cents": 1880,
                "amount_cents": 4760,
            },
            {
                "scheme_code": "KORTRIJK_KANSENTARIEF",
                "funded_scheme_code": "KORTRIJK_KANSENTARIEF",
                "payer": "scheme_owner",
                "payer_ref": "REGIO_KORTRIJK",
                "tickets": 1,
                "regular_cents": 11900,
                "paid_cents": 1880,
                "amount_cents": 4760,
            },
            {
                "scheme_code": "KORTRIJK_KANSENTARIEF",
                "funded_scheme_code": "KORTRIJK_WELKOMSTBON",
                "payer": "scheme_owner",
                "payer_ref": "REGIO_KORTRIJK",
                "tickets": 1,
                "regular_cents": 11900,
                "paid_cents": 1880,
                "amount_cents": 500,
            },
        ],
        "schemes": [
            {
                "tickets": 1,
                "regular_cents": 11900,
                "paid_cents": 1880,
                "discount_cents": 10020,
                "scheme_code": "KORTRIJK_KANSENTARIEF",
            }
        ],
        "total": {
            "tickets": 1,
            "regular_cents": 11900,
            "paid_cents": 1880,
            "discount_cents": 10020,
        },
    },
    "ParticipationOut": {
        "partner_id": None,
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "from_date": "2026-01-01",
        "to_date": "2027-01-01",
        "group_by": "month",
        "suppression_threshold": 5,
        "cells": [
            {
                "key": "2026-10",
                "label": None,
                "suppressed": False,
                "passholders": 41,
                "tickets": 57,
                "social_tariff_tickets": 52,
                "social_tariff_share": 0.912,
                "discount_cents": 318450,
                "anonymous_tickets": 6,
                "visits": 12,
            },
            {
                "key": "2026-11",
                "label": None,
                "suppressed": True,
                "passholders": None,
                "tickets": None,
                "social_tariff_tickets": None,
                "social_tariff_share": None,
                "discount_cents": None,
                "anonymous_tickets": None,
                "visits": None,
            },
            {
                "key": "2026-12",
                "label": None,
                "suppressed": True,
                "passholders": None,
                "tickets": None,
                "social_tariff_tickets": None,
                "social_tariff_share": None,
                "discount_cents": None,
                "anonymous_tickets": None,
                "visits": None,
            },
        ],
        "total": {
            "suppressed": False,
            "passholders": 44,
            "tickets": 63,
            "social_tariff_tickets": 57,
            "social_tariff_share": 0.905,
            "discount_cents": 349210,
            "anonymous_tickets": 6,
            "visits": 14,
        },
    },
    "NonTakeUpOut": {
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "counted_on": "2026-12-04",
        "entitled": 5,
        "entitled_passholders": 5,
        "with_active_card": 5,
        "entitled_without_active_card": 0,
        "pending_people": 0,
        "unknown_group": 0,
        "take_up_share": 1.0,
    },
    "AllocationsOut": {
        "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
        "from_date": "2026-01-01",
        "to_date": "2027-01-01",
        "lines": [
            {
                "organisation_id": "e2021d25-f5e7-5188-838e-ec5adb4a7293",
                "organisation_name": "Welzijnsschakel De Brug Kortrijk",
                "scheme_code": "ARTIKEL_27_BON",
                "allocated": 200,
                "issued": 0,
                "redeemed": 0,
                "expired": 0,
                "revoked": 0,
            }
        ],
    },
}

# The CSV a report answers with `Accept: text/csv` (headers in English with
# `Accept-Language: en`), by operation id.
CSV_RESPONSES: Final[dict[str, str]] = {
    "getSettlementReport": (
        "kind,scheme,scheme name,discount paid for,name of the scheme paid for,payer,payer kind,payer reference,payer name,tickets,regular price,paid by passholders,amount,first day,last day\r\n"
        "payer,KORTRIJK_KANSENTARIEF,Opportunity rate,KORTRIJK_KANSENTARIEF,Opportunity rate,partner,partner,7398aa50-00e4-5739-a030-2f45c9242741,KV Kortrijk,1,119.00,18.80,47.60,2026-01-01,2026-12-31\r\n"
        "payer,KORTRIJK_KANSENTARIEF,Opportunity rate,KORTRIJK_KANSENTARIEF,Opportunity rate,scheme_owner,region owning the scheme,REGIO_KORTRIJK,UiTPAS Regio Kortrijk,1,119.00,18.80,47.60,2026-01-01,2026-12-31\r\n"
        "payer,KORTRIJK_KANSENTARIEF,Opportunity rate,KORTRIJK_WELKOMSTBON,Welcome voucher,scheme_owner,region owning the scheme,REGIO_KORTRIJK,UiTPAS Regio Kortrijk,1,119.00,18.80,5.00,2026-01-01,2026-12-31\r\n"
        "scheme total,KORTRIJK_KANSENTARIEF,Opportunity rate,,,,,,,1,119.00,18.80,100.20,2026-01-01,2026-12-31\r\n"
        "total,,,,,,,,,1,119.00,18.80,100.20,2026-01-01,2026-12-31\r\n"
    ),
    "getParticipationReport": (
        "month,name,tickets,passholders,social tariff tickets,social tariff share,discount,suppressed,anonymous tickets (vouchers),visits,first day,last day\r\n"
        "2026-10-01,,57,41,52,0.9123,3184.50,no,6,12,2026-10-01,2026-12-31\r\n"
        "2026-11-01,,,,,,,yes,,,2026-10-01,2026-12-31\r\n"
        "2026-12-01,,,,,,,yes,,,2026-10-01,2026-12-31\r\n"
        "total,,63,44,57,0.9048,3492.10,no,6,14,2026-10-01,2026-12-31\r\n"
    ),
    "getAllocationReport": (
        "organisation,name,scheme,scheme name,allocated,issued,redeemed,expired,revoked,first day,last day\r\n"
        "e2021d25-f5e7-5188-838e-ec5adb4a7293,Welzijnsschakel De Brug Kortrijk,ARTIKEL_27_BON,Article 27 voucher,200,0,0,0,0,2026-01-01,2026-12-31\r\n"
        "total,,,,200,0,0,0,0,2026-01-01,2026-12-31\r\n"
    ),
    "getNonTakeUpReport": (
        "region,region name,counted on,entitled,entitled passholders,with an active card,entitled without an active card,not registered yet,unknown group,take-up share\r\n"
        "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689,UiTPAS Regio Kortrijk,2026-12-04,5,5,5,0,0,0,1.0000\r\n"
    ),
}

# An open-price offer of the demo (KV Kortrijk's webshop prices each seat itself, up to
# €60): the offer, a quote and a sale of one seat at €37.48, as the demo answers them.
OPEN_PRICE_OFFER_ID: Final = "1fcd4b11-4a9a-5c2b-8079-af0ffbf58172"
_OPEN_PRICE_TARIFF_ID: Final = "KORTRIJK_KANSENTARIEF.521046dffced57e5bd3d"
_OPEN_PRICE_FUNDING: Final = [
    {"payer": "partner", "scheme_code": "KORTRIJK_KANSENTARIEF", "amount_cents": 1499},
    {"payer": "scheme_owner", "scheme_code": "KORTRIJK_KANSENTARIEF", "amount_cents": 1500},
    {"payer": "scheme_owner", "scheme_code": "KORTRIJK_WELKOMSTBON", "amount_cents": 500},
]
REQUESTS["OfferIn"] = {
    "title": "Wedstrijdticket KV Kortrijk (webshop)",
    "category": "sport",
    "kind": "permanent",
    "open_price": True,
    "max_price_cents": 6000,
    "price_classes": [{"code": "standard", "label": "Zitplaats", "price_cents": 2500}],
}
RESPONSES["OfferOut"] = {
    "id": OPEN_PRICE_OFFER_ID,
    "partner_id": "7398aa50-00e4-5739-a030-2f45c9242741",
    "partner_name": "KV Kortrijk",
    "title": "Wedstrijdticket KV Kortrijk (webshop)",
    "category": "sport",
    "kind": "permanent",
    "starts_at": None,
    "ends_at": None,
    "external_ref": None,
    "price_classes": [{"code": "standard", "label": "Zitplaats", "price_cents": 2500}],
    "open_price": True,
    "max_price_cents": 6000,
    "created_at": "2026-12-04T20:18:31.197200Z",
    "archived_at": None,
}

# Further examples of a component, shown after the one above: on an open-price offer.
MORE_REQUESTS: Final[dict[str, list[dict[str, Any]]]] = {
    "QuoteIn": [
        {
            "card_number": "5395011334637",
            "offer_id": OPEN_PRICE_OFFER_ID,
            "price_class": "standard",
            "quantity": 1,
            "regular_price_cents": 3748,
        }
    ],
    "SaleIn": [
        {
            "items": [
                {
                    "card_number": "5395011334637",
                    "offer_id": OPEN_PRICE_OFFER_ID,
                    "price_class": "standard",
                    "tariff_id": _OPEN_PRICE_TARIFF_ID,
                    "quantity": 1,
                    "regular_price_cents": 3748,
                }
            ],
            "hold": False,
        }
    ],
}
MORE_RESPONSES: Final[dict[str, list[dict[str, Any]]]] = {
    "QuoteOut": [
        {
            "holder": {"display_name": "Sofie D.", "card_status": "active"},
            "voucher": None,
            "group": None,
            "offer_id": OPEN_PRICE_OFFER_ID,
            "price_class": "standard",
            "quantity": 1,
            "regular_price_cents": 3748,
            "tariffs": [
                {
                    "tariff_id": _OPEN_PRICE_TARIFF_ID,
                    "scheme_code": "KORTRIJK_KANSENTARIEF",
                    "scheme_version": 1,
                    "label": "Kansentarief + Welkomstbon",
                    "unit_price_cents": 249,
                    "discount_cents": 3499,
                    "quantity": 1,
                    "total_cents": 249,
                    "remaining": 1,
                    "on_top": ["KORTRIJK_WELKOMSTBON"],
                    "funding": _OPEN_PRICE_FUNDING,
                    "companions": None,
                }
            ],
            "best_tariff_id": _OPEN_PRICE_TARIFF_ID,
            "not_applicable": [
                {
                    "scheme_code": "ARTIKEL_27",
                    "reason": "not_applicable_to_offer",
                    "detail": "category not covered",
                },
                {
                    "scheme_code": "EUROPEAN_DISABILITY_CARD",
                    "reason": "not_eligible",
                    "detail": None,
                },
                {"scheme_code": "KORTRIJK_65_PLUS", "reason": "not_eligible", "detail": None},
                {"scheme_code": "KORTRIJK_JONGER_DAN_12", "reason": "not_eligible", "detail": None},
            ],
        }
    ],
    "SaleOut": [
        {
            "id": "58b3a7b8-10f3-43cf-b7d0-86b3229486af",
            "partner_id": "7398aa50-00e4-5739-a030-2f45c9242741",
            "status": "confirmed",
            "created_at": "2026-12-04T20:18:33.462171Z",
            "hold_expires_at": None,
            "confirmed_at": "2026-12-04T20:18:33.462171Z",
            "cancelled_at": None,
            "total_cents": 249,
            "items": [
                {
                    "id": "2bb0ed73-a33e-4af5-be20-4da64dd9113a",
                    "card_number": "5395011334637",
                    "voucher_code": None,
                    "offer_id": OPEN_PRICE_OFFER_ID,
                    "price_class": "standard",
                    "scheme_code": "KORTRIJK_KANSENTARIEF",
                    "scheme_version": 1,
                    "label": "Kansentarief + Welkomstbon",
                    "regular_price_cents": 3748,
                    "unit_price_cents": 249,
                    "discount_cents": 3499,
                    "quantity": 1,
                    "total_cents": 249,
                    "activity_date": "2026-12-04",
                    "funding": _OPEN_PRICE_FUNDING,
                    "companion_of": None,
                }
            ],
        }
    ],
}

# The entitlement import's bodies: a list with `;` as a Belgian spreadsheet saves it, and
# the same rows as JSON lines.
IMPORT_CSV: Final = (
    "insz;type;valid_from;valid_until;evidence\n"
    "90020301454;kansenstatuut;2026-11-01;2027-04-30;OCMW-beslissing 2026/114\n"
    "85073012335;verhoogde_tegemoetkoming;2026-01-01;;\n"
)
IMPORT_JSON_LINES: Final = (
    '{"insz": "90020301454", "type": "kansenstatuut", "valid_from": "2026-11-01", '
    '"valid_until": "2027-04-30", "evidence": "OCMW-beslissing 2026/114"}\n'
    '{"insz": "85073012335", "type": "verhoogde_tegemoetkoming", "valid_from": "2026-01-01"}\n'
)

# Organisations, allocations and vouchers, as the demo answers them: the Kortrijk
# welzijnsschakel with its Article 27 allocation for the year and the school, a voucher
# for two people issued from that allocation (the allocation's list after it), and the
# school renamed.
_REGION_KORTRIJK: Final = "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689"
_WELZIJNSSCHAKEL: Final = {
    "id": "e2021d25-f5e7-5188-838e-ec5adb4a7293",
    "name": "Welzijnsschakel De Brug Kortrijk",
    "region_id": _REGION_KORTRIJK,
    "kind": "social",
    "created_at": "2026-12-04T20:59:27.016254Z",
    "updated_at": "2026-12-04T20:59:27.016254Z",
}
_SCHOOL: Final = {
    "id": "5bde8ee9-1189-5277-98ad-6c1e2d421ba3",
    "name": "Basisschool De Vlieger Harelbeke",
    "region_id": _REGION_KORTRIJK,
    "kind": "school",
    "created_at": "2026-12-04T20:59:27.637235Z",
    "updated_at": "2026-12-04T20:59:27.637235Z",
}
_ALLOCATION: Final = {
    "id": "7d0f49f8-763e-5428-847a-99249c3e9f06",
    "organisation_id": _WELZIJNSSCHAKEL["id"],
    "scheme_code": "ARTIKEL_27_BON",
    "valid_from": "2026-01-01",
    "valid_until": "2026-12-31",
    "tickets": 200,
    "tickets_used": 0,
    "tickets_remaining": 200,
    "budget_cents": None,
    "created_at": "2026-12-04T20:59:27.042185Z",
}
_VOUCHER: Final = {
    "code": "BJNHGECX9FJVCZ",
    "printed_code": "BJNH-GECX-9FJV-CZ",
    "people": 2,
    "tickets_used": 0,
    "tickets_remaining": 2,
    "valid_until": "2026-12-31",
    "status": "active",
    "allocation_id": _ALLOCATION["id"],
    "organisation_id": _WELZIJNSSCHAKEL["id"],
    "scheme_code": "ARTIKEL_27_BON",
    "offer_id": None,
    "partner_id": None,
    "issued_at": "2026-12-04T20:59:28.638295Z",
    "revoked_at": None,
}
REQUESTS.update(
    {
        "OrganisationIn": {
            "name": "Welzijnsschakel De Brug Kortrijk",
            "region_id": _REGION_KORTRIJK,
            "kind": "social",
        },
        "OrganisationPatch": {"name": "Basisschool De Vlieger"},
        "AllocationIn": {
            "scheme_code": "ARTIKEL_27_BON",
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
            "tickets": 200,
        },
        "VoucherIn": {"allocation_id": _ALLOCATION["id"], "people": 2},
    }
)
RESPONSES.update(
    {
        "OrganisationOut": _WELZIJNSSCHAKEL,
        "OrganisationPage": {"items": [_SCHOOL, _WELZIJNSSCHAKEL], "next_cursor": None},
        "AllocationOut": _ALLOCATION,
        "AllocationList": {
            "items": [{**_ALLOCATION, "tickets_used": 2, "tickets_remaining": 198}],
            "next_cursor": None,
        },
        "VoucherOut": _VOUCHER,
        "VoucherPage": {"items": [_VOUCHER], "next_cursor": None},
    }
)
MORE_RESPONSES["OrganisationOut"] = [
    {**_SCHOOL, "name": "Basisschool De Vlieger", "updated_at": "2026-12-04T20:59:28.721315Z"}
]

# Staff accounts: a cashier added to Schouwburg Kortrijk by its partner admin, and a
# reporter added to the Kortrijk region by its region admin. The activation link is shown
# in this answer only.
REQUESTS.update(
    {
        "PartnerStaffIn": {
            "name": "Sara Kassa",
            "email": "sara.kassa@schouwburgkortrijk.example",
            "role": "desk",
        },
        "RegionStaffIn": {
            "name": "Rita Cijfers",
            "email": "rita.cijfers@regiokortrijk.example",
            "role": "reporter",
        },
    }
)
RESPONSES["StaffOut"] = {
    "id": "043ee5a7-6f77-4425-bdc1-8b5957648bd3",
    "name": "Sara Kassa",
    "email": "sara.kassa@schouwburgkortrijk.example",
    "role": "desk",
    "partner_id": "e84f74d8-12c7-5e26-aa54-e7215ff2204a",
    "region_id": None,
    "created_at": "2026-12-04T20:59:28.782417Z",
    "activation_url": "https://openpas.example/activate?token=GTx7_afxIaVIglDT8xPOuNJKWUqzgZRf2tZ-GXp7I-Q",
    "activation_expires_at": "2026-12-11T20:59:28.782417Z",
    "activation_mailed": False,
}
MORE_RESPONSES["StaffOut"] = [
    {
        "id": "aedac9cc-70dc-48ec-9f8a-e77ed0b86a06",
        "name": "Rita Cijfers",
        "email": "rita.cijfers@regiokortrijk.example",
        "role": "reporter",
        "partner_id": None,
        "region_id": _REGION_KORTRIJK,
        "created_at": "2026-12-04T20:59:28.826666Z",
        "activation_url": "https://openpas.example/activate?token=UE6p-25k47zlGRV-tV9F3Ft5FAk0Z8AlJWIjNfQ3twY",
        "activation_expires_at": "2026-12-11T20:59:28.826666Z",
        "activation_mailed": False,
    }
]
