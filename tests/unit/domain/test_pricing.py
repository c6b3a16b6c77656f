"""The worked examples of the price calculation (DESIGN.md, semantics 1–7)."""

from __future__ import annotations

from datetime import date

from app.domain.facts import HolderFacts
from app.domain.funding import FundingShare
from app.domain.limits import UsageAmount
from app.domain.pricing import NotApplicable, usage_keys
from app.domain.reasons import Reason

from .factories import (
    BRUGGE,
    KORTRIJK,
    KUURNE,
    SALE_DAY,
    holder,
    kansentarief,
    offer,
    quote,
    scheme,
    status,
)

BRUGGE_ADULT = scheme(
    code="BRUGGE_TERUGBETALING_VOLWASSENE",
    owner_region="BRUGGE",
    eligibility={
        "all": [{"entitlement": "kansenstatuut", "in_region": "owner"}, {"age": {"min": 18}}]
    },
    applies_to={"partners": "owner_region"},
    price={"type": "percent_off", "percent": 80},
    limits=[{"discount_cents": 24000, "scope": "scheme", "period": "year"}],
    funding=[{"payer": "scheme_owner", "rest": True}],
)
BRUGGE_CHILD = scheme(
    code="BRUGGE_TERUGBETALING_KIND",
    owner_region="BRUGGE",
    eligibility={
        "all": [{"entitlement": "kansenstatuut", "in_region": "owner"}, {"age": {"max": 17}}]
    },
    applies_to={"partners": "owner_region"},
    price={"type": "percent_off", "percent": 80},
    limits=[{"discount_cents": 12000, "scope": "scheme", "period": "year"}],
    funding=[{"payer": "scheme_owner", "rest": True}],
)
CONCERT_IN_BRUGGE = offer(
    offer_id="concert",
    partner_id="concertgebouw",
    partner_region="BRUGGE",
    partner_municipality_nis=BRUGGE,
    category="muziek",
    activity_date=date(2026, 4, 18),
)


def brugge_holder(birth_date: date = date(1975, 1, 1)) -> HolderFacts:
    return holder(
        status(region="BRUGGE"), birth_date=birth_date, municipality_nis=BRUGGE, region="BRUGGE"
    )


# --- a regional kansentarief (Kortrijk's 20-40-40) -----------------------------------------


def test_a_kansentarief_holder_pays_20_percent_rounded_down_to_10_cents() -> None:
    result = quote([kansentarief()], for_holder=holder(status()), regular_price_cents=1575)

    best = result.best
    assert best is not None
    assert best.unit_price_cents == 310  # 20 % of 15.75 is 3.15, rounded down to 3.10
    assert best.discount_cents == 1265
    assert best.remaining == 1
    assert result.best_tariff_id == best.tariff_id


def test_partner_and_region_split_the_kansentarief_discount_with_the_cent_to_the_region() -> None:
    best = quote([kansentarief()], for_holder=holder(status()), regular_price_cents=1575).best

    assert best is not None
    assert best.funding == (
        FundingShare("partner", 632, "partner-1", "KORTRIJK_KANSENTARIEF"),
        FundingShare("scheme_owner", 633, "REGIO_KORTRIJK", "KORTRIJK_KANSENTARIEF"),
    )


def test_a_119_euro_season_ticket_costs_23_euro_80_under_20_40_40() -> None:
    best = quote([kansentarief()], for_holder=holder(status()), regular_price_cents=11900).best

    assert best is not None
    assert best.unit_price_cents == 2380
    assert [share.amount_cents for share in best.funding] == [4760, 4760]


def test_the_kansentarief_is_one_ticket_per_offer() -> None:
    scheme_ = kansentarief()
    [bucket] = usage_keys(offer(), SALE_DAY, [scheme_])

    result = quote([scheme_], for_holder=holder(status()), usage={bucket: UsageAmount(1, 1200)})

    assert bucket == "KORTRIJK_KANSENTARIEF|offer:offer-1|absolute"
    assert result.tariffs == ()
    assert result.not_applicable == (NotApplicable("KORTRIJK_KANSENTARIEF", Reason.LIMIT_REACHED),)


def test_asking_more_tickets_than_are_left_says_how_many_are_left() -> None:
    scheme_ = kansentarief(limits=[{"count": 2, "scope": "partner", "period": "year"}])
    [bucket] = usage_keys(offer(), SALE_DAY, [scheme_])

    result = quote(
        [scheme_], for_holder=holder(status()), quantity=3, usage={bucket: UsageAmount(1, 0)}
    )

    assert result.not_applicable == (
        NotApplicable("KORTRIJK_KANSENTARIEF", Reason.QUANTITY_EXCEEDS_LIMIT, "1 left"),
    )


def test_the_kansentarief_of_one_region_is_not_considered_at_a_partner_of_another() -> None:
    # A desk in Brugge is not told, scheme by scheme, that Kortrijk's do not apply there.
    result = quote([kansentarief()], for_holder=holder(status()), at_offer=CONCERT_IN_BRUGGE)

    assert result.tariffs == ()
    assert result.not_applicable == ()


def test_a_scheme_of_other_partners_is_not_considered_but_one_of_this_partner_is() -> None:
    elsewhere = scheme(code="ELDERS", applies_to={"partners": ["partner-9"]})
    here = scheme(code="HIER", applies_to={"partners": ["partner-9", "partner-1"]})
    old_age = scheme(code="SENIOR", eligibility={"age": {"min": 65}})

    result = quote([elsewhere, here, old_age], for_holder=holder(status()))

    assert [t.scheme_code for t in result.tariffs] == ["HIER"]
    assert result.not_applicable == (NotApplicable("SENIOR", Reason.NOT_ELIGIBLE),)


def test_a_kansenstatuut_of_another_region_does_not_count() -> None:
    result = quote([kansentarief()], for_holder=holder(status(region="BRUGGE")))

    assert result.not_applicable == (NotApplicable("KORTRIJK_KANSENTARIEF", Reason.NOT_ELIGIBLE),)


def test_a_status_without_a_region_counts_in_every_region() -> None:
    result = quote([kansentarief()], for_holder=holder(status(region=None)))

    assert result.best is not None


# --- Brugge's former refund: 80 % back within a yearly budget --------------------------------


def test_a_300_euro_concert_after_200_of_the_240_budget_gives_a_40_euro_reduction() -> None:
    [bucket] = usage_keys(CONCERT_IN_BRUGGE, SALE_DAY, [BRUGGE_ADULT])

    best = quote(
        [BRUGGE_ADULT, BRUGGE_CHILD],
        for_holder=brugge_holder(),
        at_offer=CONCERT_IN_BRUGGE,
        regular_price_cents=30000,
        usage={bucket: UsageAmount(tickets=3, discount_cents=20000)},
    ).best

    assert bucket == "BRUGGE_TERUGBETALING_VOLWASSENE|scheme|year:2026-01-01"
    assert best is not None
    assert best.discount_cents == 4000
    assert best.unit_price_cents == 26000
    assert best.usage_claims[0].discount_cents == 4000
    assert best.usage_claims[0].max_discount_cents == 24000


def test_an_unused_budget_gives_the_full_80_percent() -> None:
    best = quote(
        [BRUGGE_ADULT],
        for_holder=brugge_holder(),
        at_offer=CONCERT_IN_BRUGGE,
        regular_price_cents=2000,
    ).best

    assert best is not None
    assert best.unit_price_cents == 400


def test_a_child_has_a_budget_of_120_euro() -> None:
    best = quote(
        [BRUGGE_ADULT, BRUGGE_CHILD],
        for_holder=brugge_holder(birth_date=date(2015, 9, 1)),
        at_offer=CONCERT_IN_BRUGGE,
        regular_price_cents=30000,
    ).best

    assert best is not None
    assert best.scheme_code == "BRUGGE_TERUGBETALING_KIND"
    assert best.discount_cents == 12000


def test_a_used_up_budget_gives_no_reduction() -> None:
    [bucket] = usage_keys(CONCERT_IN_BRUGGE, SALE_DAY, [BRUGGE_ADULT])

    result = quote(
        [BRUGGE_ADULT],
        for_holder=brugge_holder(),
        at_offer=CONCERT_IN_BRUGGE,
        usage={bucket: UsageAmount(10, 24000)},
    )

    assert result.not_applicable == (
        NotApplicable("BRUGGE_TERUGBETALING_VOLWASSENE", Reason.BUDGET_EXHAUSTED),
    )


def test_a_budget_shared_by_several_tickets_gives_each_the_same_reduction() -> None:
    # 2 tickets of €50 want €40 off each; €50.01 is left, so each gets €25.00 off (the
    # floor of 5001 / 2): one unit price for the line, and the odd cent stays in the budget.
    [bucket] = usage_keys(CONCERT_IN_BRUGGE, SALE_DAY, [BRUGGE_ADULT])

    best = quote(
        [BRUGGE_ADULT],
        for_holder=brugge_holder(),
        at_offer=CONCERT_IN_BRUGGE,
        regular_price_cents=5000,
        quantity=2,
        usage={bucket: UsageAmount(0, 24000 - 5001)},
    ).best

    assert best is not None
    assert best.discount_cents == 2500
    assert best.total_cents == 5000
    assert sum(share.amount_cents for share in best.funding) == 5000


# --- fixed price, age, companions -----------------------------------------------------------

ARTICLE_27 = scheme(
    code="ARTIKEL_27",
    owner_region=None,
    eligibility={"entitlement": "article27"},
    price={"type": "fixed_price", "amount_cents": 125},
    funding=[
        {"payer": "ARTIKEL_27_VZW", "fixed_cents": 125},
        {"payer": "partner", "rest": True},
    ],
)


def test_an_article_27_ticket_costs_1_euro_25_whatever_the_regular_price() -> None:
    best = quote(
        [ARTICLE_27],
        for_holder=holder(status("article27", region=None)),
        regular_price_cents=2200,
        quantity=2,
    ).best

    assert best is not None
    assert (best.unit_price_cents, best.total_cents) == (125, 250)
    assert best.funding == (
        FundingShare("ARTIKEL_27_VZW", 250, None, "ARTIKEL_27"),
        FundingShare("partner", 3900, "partner-1", "ARTIKEL_27"),
    )


def test_a_fixed_price_above_a_cheap_ticket_is_no_tariff_and_uses_no_limit() -> None:
    # Article 27 is €1.25 with a yearly count; a €1.00 ticket is cheaper as it is, and
    # selling it "at Article 27" would cost the holder one of their tickets for nothing.
    result = quote(
        [ARTICLE_27], for_holder=holder(status("article27", region=None)), regular_price_cents=100
    )

    assert result.best is None
    assert result.tariffs == ()
    assert result.not_applicable == (NotApplicable("ARTIKEL_27", Reason.NO_REDUCTION),)


UNDER_12 = scheme(
    code="JONGER_DAN_12",
    eligibility={"age": {"max": 11}},
    price={"type": "percent_off", "percent": 50},
)
SIXTY_FIVE_PLUS = scheme(
    code="PLUS_65", eligibility={"age": {"min": 65}}, price={"type": "percent_off", "percent": 20}
)


def test_a_birthday_on_the_activity_date_counts_the_new_age() -> None:
    child = holder(birth_date=date(2014, 6, 20))
    on_birthday = offer(activity_date=date(2026, 6, 20))
    day_before = offer(activity_date=date(2026, 6, 19))

    turning_12 = quote([UNDER_12], for_holder=child, at_offer=on_birthday)
    still_11 = quote([UNDER_12], for_holder=child, at_offer=day_before)

    assert turning_12.not_applicable == (NotApplicable("JONGER_DAN_12", Reason.NOT_ELIGIBLE),)
    assert still_11.best is not None
    assert still_11.best.unit_price_cents == 750


def test_age_is_judged_on_the_activity_date_not_on_the_day_of_the_sale() -> None:
    senior = holder(birth_date=date(1961, 6, 20))
    concert_on_65th_birthday = offer(activity_date=date(2026, 6, 20))

    result = quote(
        [SIXTY_FIVE_PLUS], for_holder=senior, at_offer=concert_on_65th_birthday, at=SALE_DAY
    )

    assert result.best is not None
    assert result.best.unit_price_cents == 1200


EUROPEAN_DISABILITY_CARD = scheme(
    code="EUROPEAN_DISABILITY_CARD",
    owner_region=None,
    eligibility={"entitlement": "european_disability_card"},
    price={"type": "pay_percent", "percent": 100},
    companions={"max": 1, "price": {"type": "free"}},
)


def test_a_disability_card_holder_brings_a_companion_for_free() -> None:
    result = quote(
        [EUROPEAN_DISABILITY_CARD],
        for_holder=holder(status("european_disability_card", region=None, valid_until=None)),
    )

    best = result.best
    assert best is not None
    assert best.companions is not None
    assert (best.unit_price_cents, best.companions.max, best.companions.unit_price_cents) == (
        1500,
        1,
        0,
    )
    assert best.funding == ()
    # The companion's free ticket is a reduction of the whole regular price, funded by the
    # scheme's key (here the partner alone).
    assert best.companions.funding(1) == (
        FundingShare("partner", 1500, "partner-1", "EUROPEAN_DISABILITY_CARD"),
    )


# --- funding by residence -------------------------------------------------------------------

LARGE_FAMILY = scheme(
    code="GROOT_GEZIN",
    eligibility={"entitlement": "large_family"},
    price={"type": "percent_off", "percent": 20},
    funding=None,
    funding_by_residence={
        "same_municipality": [
            {"payer": "home_municipality", "percent": 50},
            {"payer": "partner", "rest": True},
        ],
        "other": [{"payer": "partner", "rest": True}],
    },
)


def large_family_quote(municipality_nis: str) -> tuple[FundingShare, ...]:
    family = holder(status("large_family", region=None), municipality_nis=municipality_nis)
    best = quote([LARGE_FAMILY], for_holder=family, regular_price_cents=1000).best
    assert best is not None
    return best.funding


def test_the_municipality_pays_half_for_residents_of_the_partners_municipality() -> None:
    assert large_family_quote(KORTRIJK) == (
        FundingShare("home_municipality", 100, KORTRIJK, "GROOT_GEZIN"),
        FundingShare("partner", 100, "partner-1", "GROOT_GEZIN"),
    )


def test_the_partner_pays_everything_for_visitors_from_another_municipality() -> None:
    assert large_family_quote(KUURNE) == (FundingShare("partner", 200, "partner-1", "GROOT_GEZIN"),)


# --- statuses over time ----------------------------------------------------------------------


def test_a_status_still_counts_during_the_grace_period_after_its_end_date() -> None:
    lapsed = status(valid_until=date(2026, 3, 1), grace_days=30)

    result = quote([kansentarief()], for_holder=holder(lapsed), at=date(2026, 3, 31))

    assert result.best is not None


def test_after_the_grace_period_the_holder_hears_the_status_expired() -> None:
    lapsed = status(valid_until=date(2026, 3, 1), grace_days=30)

    result = quote([kansentarief()], for_holder=holder(lapsed), at=date(2026, 4, 1))

    assert result.not_applicable == (
        NotApplicable("KORTRIJK_KANSENTARIEF", Reason.ENTITLEMENT_EXPIRED),
    )


def test_a_suspended_status_gives_no_social_tariff_until_the_suspension_ends() -> None:
    suspended = status(suspended_until=date(2026, 3, 20))

    during = quote([kansentarief()], for_holder=holder(suspended), at=date(2026, 3, 20))
    after = quote([kansentarief()], for_holder=holder(suspended), at=date(2026, 3, 21))

    assert during.not_applicable == (NotApplicable("KORTRIJK_KANSENTARIEF", Reason.NOT_ELIGIBLE),)
    assert after.best is not None


def test_a_status_that_was_ended_gets_no_grace() -> None:
    ended = status(ended_on=date(2026, 3, 1), grace_days=30)

    result = quote([kansentarief()], for_holder=holder(ended), at=date(2026, 3, 2))

    assert result.not_applicable == (
        NotApplicable("KORTRIJK_KANSENTARIEF", Reason.ENTITLEMENT_EXPIRED),
    )


def test_a_blocked_card_gets_no_tariff_from_any_scheme() -> None:
    blocked = holder(status(), card_status="blocked")

    result = quote([kansentarief(), UNDER_12], for_holder=blocked)

    assert result.tariffs == ()
    assert result.best_tariff_id is None
    assert {r.reason for r in result.not_applicable} == {Reason.CARD_BLOCKED}
    assert len(result.not_applicable) == 2


def test_a_blocked_card_is_told_only_about_the_schemes_meant_for_the_offer() -> None:
    blocked = holder(status(), card_status="blocked")

    result = quote([kansentarief(), UNDER_12], for_holder=blocked, at_offer=CONCERT_IN_BRUGGE)

    assert result.not_applicable == (NotApplicable("JONGER_DAN_12", Reason.CARD_BLOCKED),)


def test_a_scheme_is_only_considered_within_its_validity_dates() -> None:
    from_april = scheme(code="NIEUW", valid_from="2026-04-01")

    result = quote([from_april], for_holder=holder())

    assert result.not_applicable == (NotApplicable("NIEUW", Reason.NOT_VALID_AT_DATE),)


# --- stacking -------------------------------------------------------------------------------

WELCOME_COUPON = scheme(
    code="WELKOMSTBON",
    name={"nl": "Welkomstbon"},
    price={"type": "amount_off", "amount_cents": 500},
    limits=[{"count": 1, "scope": "scheme", "period": "absolute"}],
    funding=[{"payer": "scheme_owner", "rest": True}],
    stacking="on_top",
)


def test_a_welcome_coupon_comes_on_top_of_the_social_tariff_but_never_below_zero() -> None:
    best = quote(
        [WELCOME_COUPON, kansentarief()], for_holder=holder(status()), regular_price_cents=1500
    ).best

    assert best is not None
    assert best.unit_price_cents == 0
    assert (best.scheme_code, best.on_top) == ("KORTRIJK_KANSENTARIEF", ("WELKOMSTBON",))
    assert best.label.nl == "Kansentarief + Welkomstbon"
    # The coupon takes only the €3 that was left, and its funder pays just that.
    assert [(p.scheme_code, p.discount_cents) for p in best.parts] == [
        ("KORTRIJK_KANSENTARIEF", 1200),
        ("WELKOMSTBON", 300),
    ]
    assert best.funding[-1] == FundingShare("scheme_owner", 300, "REGIO_KORTRIJK", "WELKOMSTBON")
    assert [claim.bucket_key for claim in best.usage_claims] == [
        "KORTRIJK_KANSENTARIEF|offer:offer-1|absolute",
        "WELKOMSTBON|scheme|absolute",
    ]


def test_a_welcome_coupon_applies_to_the_regular_price_when_no_other_tariff_does() -> None:
    best = quote([WELCOME_COUPON, kansentarief()], for_holder=holder()).best

    assert best is not None
    assert (best.scheme_code, best.on_top, best.unit_price_cents) == ("WELKOMSTBON", (), 1000)


def test_a_welcome_coupon_is_not_spent_on_a_free_ticket() -> None:
    free = scheme(code="GRATIS", price={"type": "free"})

    result = quote([WELCOME_COUPON, free], for_holder=holder())

    assert result.best is not None
    assert result.best.on_top == ()
    assert result.not_applicable == (NotApplicable("WELKOMSTBON", Reason.NO_REDUCTION),)


def test_the_lowest_price_wins_and_a_tie_goes_to_the_higher_priority_then_the_code() -> None:
    half = {"type": "pay_percent", "percent": 50}
    schemes = [
        scheme(code="B_HALF", price=half, priority=1),
        scheme(code="A_HALF", price=half, priority=1),
        scheme(code="C_HALF", price=half, priority=2),
        scheme(code="D_THIRD", price={"type": "pay_percent", "percent": 70}, priority=9),
    ]

    result = quote(schemes, for_holder=holder())

    assert [t.scheme_code for t in result.tariffs] == ["C_HALF", "A_HALF", "B_HALF", "D_THIRD"]
    assert result.best_tariff_id == result.tariffs[0].tariff_id


# --- public price lists ---------------------------------------------------------------------


def test_a_public_price_list_answers_each_scheme_for_someone_who_qualifies() -> None:
    result = quote([kansentarief(), WELCOME_COUPON, UNDER_12], for_holder=None)

    assert {t.scheme_code: t.unit_price_cents for t in result.tariffs} == {
        "KORTRIJK_KANSENTARIEF": 300,
        "JONGER_DAN_12": 750,
        "WELKOMSTBON": 1000,
    }
    assert all(t.on_top == () for t in result.tariffs)
    assert result.not_applicable == ()


def test_a_public_price_list_shows_no_tariff_that_takes_nothing_off() -> None:
    # As at the desk: Article 27's €1.25 is no tariff for a €1.00 ticket.
    result = quote([ARTICLE_27], for_holder=None, regular_price_cents=100)

    assert result.tariffs == ()
    assert result.not_applicable == (NotApplicable("ARTIKEL_27", Reason.NO_REDUCTION),)


def test_a_public_price_list_names_no_home_municipality_as_payer() -> None:
    best = quote([LARGE_FAMILY], for_holder=None, regular_price_cents=1000).best

    assert best is not None
    assert best.funding == (FundingShare("partner", 200, "partner-1", "GROOT_GEZIN"),)


# --- tariff ids -----------------------------------------------------------------------------


def test_a_tariff_id_is_the_same_for_the_same_sale_and_changes_with_the_price() -> None:
    first = quote([kansentarief()], for_holder=holder(status())).best
    again = quote([kansentarief()], for_holder=holder(status())).best
    dearer = quote([kansentarief()], for_holder=holder(status()), regular_price_cents=1600).best
    new_version = quote([kansentarief(version=2)], for_holder=holder(status())).best

    assert first is not None
    assert again is not None
    assert dearer is not None
    assert new_version is not None
    assert first.tariff_id == again.tariff_id
    assert len({first.tariff_id, dearer.tariff_id, new_version.tariff_id}) == 3
