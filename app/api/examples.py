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
}

# JSON answers, by component name.
RESPONSES: Final[dict[str, dict[str, Any]]] = {
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
