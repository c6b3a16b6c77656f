"""Who pays the discount: shares in order, the rest payer takes every remainder."""

from __future__ import annotations

from decimal import Decimal

from app.domain.funding import FundingShare, PayerRefs, ShareRule, split_discount

REFS = PayerRefs(partner="partner-1", home_municipality="34022", scheme_owner="REGIO_KORTRIJK")


def split(discount: int, *key: ShareRule, quantity: int = 1) -> list[tuple[str, int]]:
    shares = split_discount(discount, key, quantity=quantity, refs=REFS, scheme_code="X")
    return [(share.payer, share.amount_cents) for share in shares]


def test_the_rounding_leftover_goes_to_the_rest_payer() -> None:
    assert split(
        1001,
        ShareRule("partner", percent=Decimal("33.33")),
        ShareRule("home_municipality", percent=Decimal("33.33")),
        ShareRule("scheme_owner", rest=True),
    ) == [("partner", 333), ("home_municipality", 333), ("scheme_owner", 335)]


def test_a_fixed_share_is_per_ticket_and_never_more_than_the_discount() -> None:
    key = (ShareRule("ARTIKEL_27_VZW", fixed_cents=125), ShareRule("partner", rest=True))

    assert split(1000, *key, quantity=2) == [("ARTIKEL_27_VZW", 250), ("partner", 750)]
    assert split(100, *key) == [("ARTIKEL_27_VZW", 100)]


def test_each_share_names_who_pays() -> None:
    key = (
        ShareRule("partner", percent=Decimal(25)),
        ShareRule("home_municipality", percent=Decimal(25)),
        ShareRule("VLAANDEREN", percent=Decimal(25)),
        ShareRule("scheme_owner", rest=True),
    )

    shares = split_discount(400, key, quantity=1, refs=REFS, scheme_code="X")

    assert shares == (
        FundingShare("partner", 100, "partner-1", "X"),
        FundingShare("home_municipality", 100, "34022", "X"),
        FundingShare("VLAANDEREN", 100, None, "X"),
        FundingShare("scheme_owner", 100, "REGIO_KORTRIJK", "X"),
    )


def test_no_discount_means_nobody_pays() -> None:
    assert (
        split(0, ShareRule("partner", percent=Decimal(50)), ShareRule("scheme_owner", rest=True))
        == []
    )
