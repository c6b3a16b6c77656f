"""The plain-language sentence of a scheme, in Dutch, French, English and German."""

from __future__ import annotations

from app.domain.summary import describe
from app.i18n import texts

from .factories import kansentarief, scheme

NAMES = {"REGIO_KORTRIJK": "Regio Kortrijk", "BRUGGE": "Brugge", "34022": "Kortrijk"}


def test_the_kansentarief_reads_as_one_sentence_in_each_language() -> None:
    kortrijk = kansentarief(price={"type": "pay_percent", "percent": 20})

    assert describe(kortrijk, texts("nl"), NAMES) == (
        "Met kansenstatuut in Regio Kortrijk betaal je 20 % van de prijs; 1 ticket per activiteit."
    )
    assert describe(kortrijk, texts("fr"), NAMES) == (
        "Avec le statut d'opportunité (Regio Kortrijk), vous payez 20 % du prix ; "
        "1 billet par activité."
    )
    assert describe(kortrijk, texts("en"), NAMES) == (
        "With an opportunity status in Regio Kortrijk, you pay 20% of the price; "
        "1 ticket per activity."
    )
    assert describe(kortrijk, texts("de"), NAMES) == (
        "Mit Chancenstatut (Regio Kortrijk) zahlen Sie 20 % des Preises; 1 Ticket pro Aktivität."
    )


def test_rounding_is_told_with_the_percentage_paid() -> None:
    assert describe(kansentarief(), texts("nl"), NAMES) == (
        "Met kansenstatuut in Regio Kortrijk betaal je 20 % van de prijs, naar beneden afgerond "
        "op 10 cent; 1 ticket per activiteit."
    )


def test_a_budget_and_an_age_condition_read_naturally() -> None:
    child_refund = scheme(
        owner_region="BRUGGE",
        eligibility={
            "all": [{"entitlement": "kansenstatuut", "in_region": "owner"}, {"age": {"max": 17}}]
        },
        price={"type": "percent_off", "percent": 80},
        limits=[{"discount_cents": 12000, "scope": "scheme", "period": "year"}],
    )

    assert describe(child_refund, texts("nl"), NAMES) == (
        "Als je een kansenstatuut hebt in Brugge en jonger bent dan 18 jaar, krijg je 80 % "
        "korting; maximaal € 120,00 korting per jaar."
    )
    assert describe(child_refund, texts("en"), NAMES) == (
        "If you have an opportunity status in Brugge and are under 18, you get 80% off; "
        "at most €120.00 off per year."
    )


def test_a_fixed_price_a_companion_and_a_season_year() -> None:
    fixed = scheme(
        eligibility={"not": {"resident_of": ["34022"]}},
        price={"type": "fixed_price", "amount_cents": 125},
        limits=[{"count": 2, "scope": "partner", "period": "year", "year_starts": "09-01"}],
        companions={"max": 2, "price": {"type": "free"}},
    )

    assert describe(fixed, texts("nl"), NAMES) == (
        "Als je niet in Kortrijk woont, betaal je € 1,25; 2 tickets per organisator per jaar "
        "vanaf 1 september; maximaal 2 begeleiders mogen gratis mee."
    )
    assert describe(fixed, texts("fr"), NAMES) == (
        "Si vous n'habitez pas à Kortrijk, vous payez 1,25 € ; 2 billets par organisateur par an "
        "à partir du 1er septembre ; jusqu'à 2 accompagnateurs entrent gratuitement."
    )


def test_a_coupon_on_top_says_so() -> None:
    coupon = scheme(
        price={"type": "amount_off", "amount_cents": 500},
        limits=[{"count": 1, "scope": "scheme", "period": "absolute"}],
        stacking="on_top",
    )

    assert describe(coupon, texts("en"), NAMES) == (
        "With your pass, you get €5.00 off; 1 ticket in total; on top of other reductions."
    )


def test_an_unknown_region_code_is_shown_as_it_is() -> None:
    assert describe(kansentarief(owner_region="REGIO_X"), texts("nl"), {}).startswith(
        "Met kansenstatuut in REGIO_X betaal je"
    )


def test_a_full_price_share_with_a_ceiling_or_rounding_does_not_read_as_the_regular_price() -> None:
    capped = kansentarief(price={"type": "pay_percent", "percent": 100, "max_pay_cents": 500})
    sentence = describe(capped, texts("en"), NAMES)
    assert "regular price" not in sentence
    assert "you never pay more than €5.00" in sentence
    rounded = kansentarief(price={"type": "percent_off", "percent": 0, "rounding": "down_100"})
    assert "regular price" not in describe(rounded, texts("en"), NAMES)
    plain = kansentarief(price={"type": "pay_percent", "percent": 100})
    assert "regular price" in describe(plain, texts("en"), NAMES)
