"""A sale's lines: the tariff the desk chose, why it may no longer be offered, companions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.cards import CardStatus
from app.domain.funding import FundingShare
from app.domain.limits import UsageAmount
from app.domain.pricing import (
    CompanionTerms,
    Quote,
    TariffIdParts,
    TariffPart,
    tariff_id_parts,
    usage_keys,
)
from app.domain.sale_lines import (
    CompanionAsk,
    CompanionLine,
    TariffGone,
    TooManyCompanions,
    chosen_tariff,
    companion_line,
    companions_refusal,
)

from .factories import SALE_DAY, holder, kansentarief, offer, quote, scheme, status
from .test_pricing import BRUGGE_ADULT, CONCERT_IN_BRUGGE, brugge_holder
from .test_pricing_properties import FAST, Sale, any_sales, quote_of

KANSENTARIEF = kansentarief()
SOFIE = holder(status())


def kansentarief_quote(card_status: str = "active") -> Quote:
    return quote([KANSENTARIEF], for_holder=replace(SOFIE, card_status=card_status))


def used_up(scheme_usage: UsageAmount) -> dict[str, UsageAmount]:
    return dict.fromkeys(usage_keys(offer(), SALE_DAY, (KANSENTARIEF,)), scheme_usage)


# --- the tariff id --------------------------------------------------------------------------


def test_a_tariff_id_names_the_scheme_it_is_built_on() -> None:
    [tariff] = kansentarief_quote().tariffs

    parts = tariff_id_parts(tariff.tariff_id)

    assert parts is not None
    assert parts.scheme_code == "KORTRIJK_KANSENTARIEF"
    assert len(parts.digest) == 20


@pytest.mark.parametrize(
    "foreign",
    ["", "KORTRIJK_KANSENTARIEF", "KORTRIJK_KANSENTARIEF.", ".abc", "X.NOT-HEX", "X." + "f" * 21],
)
def test_an_id_not_shaped_like_a_tariff_id_has_no_parts(foreign: str) -> None:
    assert tariff_id_parts(foreign) is None


@FAST
@given(any_sales)
def test_every_tariff_id_decodes_to_the_scheme_of_its_tariff(sale: Sale) -> None:
    for tariff in quote_of(sale).tariffs:
        parts = tariff_id_parts(tariff.tariff_id)
        assert parts is not None
        assert parts == TariffIdParts(tariff.scheme_code, tariff.tariff_id.split(".")[-1])


# --- why a chosen tariff is gone ------------------------------------------------------------


def test_the_chosen_tariff_is_sold_while_it_is_in_the_fresh_quote() -> None:
    [tariff] = kansentarief_quote().tariffs

    assert chosen_tariff(kansentarief_quote(), tariff.tariff_id) == tariff


def test_a_tariff_whose_ticket_another_desk_sold_meanwhile_is_gone_for_its_limit() -> None:
    [tariff] = kansentarief_quote().tariffs
    fresh = quote([KANSENTARIEF], for_holder=SOFIE, usage=used_up(UsageAmount(1, 9520)))

    assert fresh.tariffs == ()
    assert chosen_tariff(fresh, tariff.tariff_id) == TariffGone.LIMIT_REACHED


def test_a_tariff_for_more_tickets_than_are_left_is_gone_for_its_limit() -> None:
    two_a_year = kansentarief(limits=[{"count": 2, "scope": "scheme", "period": "year"}])
    [tariff] = quote([two_a_year], for_holder=SOFIE, quantity=2).tariffs
    usage = {key: UsageAmount(1, 0) for key in usage_keys(offer(), SALE_DAY, (two_a_year,))}
    fresh = quote([two_a_year], for_holder=SOFIE, quantity=2, usage=usage)

    assert chosen_tariff(fresh, tariff.tariff_id) == TariffGone.LIMIT_REACHED


def test_a_tariff_whose_budget_was_spent_meanwhile_is_gone_for_its_budget() -> None:
    def concert(usage: dict[str, UsageAmount]) -> Quote:
        return quote(
            [BRUGGE_ADULT],
            for_holder=brugge_holder(),
            at_offer=CONCERT_IN_BRUGGE,
            regular_price_cents=5000,
            usage=usage,
        )

    [tariff] = concert({}).tariffs
    keys = usage_keys(CONCERT_IN_BRUGGE, SALE_DAY, (BRUGGE_ADULT,))
    fresh = concert({key: UsageAmount(6, 24_000) for key in keys})

    assert chosen_tariff(fresh, tariff.tariff_id) == TariffGone.BUDGET_EXHAUSTED


def test_a_tariff_whose_scheme_changed_its_price_is_gone_for_a_price_change() -> None:
    [tariff] = kansentarief_quote().tariffs
    new_version = kansentarief(version=2, price={"type": "pay_percent", "percent": 25})

    fresh = quote([new_version], for_holder=SOFIE)

    assert fresh.tariffs
    assert chosen_tariff(fresh, tariff.tariff_id) == TariffGone.PRICE_CHANGED


def test_a_tariff_is_gone_for_a_limit_only_when_its_own_scheme_reached_it() -> None:
    # Another scheme's limit is used up, not the chosen one's: the id says which it was.
    other = scheme(code="OTHER", limits=[{"count": 1, "scope": "offer", "period": "absolute"}])
    [tariff] = quote([KANSENTARIEF], for_holder=SOFIE).tariffs
    usage = {key: UsageAmount(1, 0) for key in usage_keys(offer(), SALE_DAY, (other,))}
    fresh = quote([other], for_holder=SOFIE, usage=usage)

    assert chosen_tariff(fresh, tariff.tariff_id) == TariffGone.PRICE_CHANGED


def test_an_id_from_elsewhere_is_a_price_change() -> None:
    assert chosen_tariff(kansentarief_quote(), "not-a-tariff") == TariffGone.PRICE_CHANGED


@pytest.mark.parametrize(
    ("card_status", "gone"),
    [("blocked", TariffGone.CARD_BLOCKED), ("replaced", TariffGone.CARD_REPLACED)],
)
def test_a_card_blocked_or_replaced_since_the_quote_stops_its_tariff(
    card_status: str, gone: TariffGone
) -> None:
    [tariff] = kansentarief_quote().tariffs
    fresh = kansentarief_quote(card_status=card_status)

    assert fresh.card_refused == CardStatus(card_status)
    assert chosen_tariff(fresh, tariff.tariff_id) == gone


# --- companions -----------------------------------------------------------------------------

DISABILITY_CARD = holder(status("european_disability_card", region=None, valid_until=None))


def companion_terms(most: int = 1) -> CompanionTerms:
    card = scheme(
        code="EUROPEAN_DISABILITY_CARD",
        owner_region=None,
        eligibility={"entitlement": "european_disability_card"},
        price={"type": "pay_percent", "percent": 100},
        companions={"max": most, "price": {"type": "free"}},
    )
    best = quote([card], for_holder=DISABILITY_CARD).best
    assert best is not None
    assert best.companions is not None
    return best.companions


def ask(companions: int, holder_id: str = "holder-1", offer_id: str = "offer-1") -> CompanionAsk:
    return CompanionAsk(holder_id, offer_id, companions)


def test_a_tariff_without_companions_admits_none() -> None:
    assert companions_refusal([], ask(0), None) is None
    assert companions_refusal([], ask(1), None) == TooManyCompanions(0)


def test_companions_up_to_the_maximum_are_admitted() -> None:
    terms = companion_terms(most=2)

    assert companions_refusal([], ask(2), terms) is None
    assert companions_refusal([], ask(3), terms) == TooManyCompanions(2)


def test_the_maximum_counts_the_earlier_lines_of_the_same_holder_and_offer() -> None:
    terms = companion_terms(most=1)

    assert companions_refusal([ask(1)], ask(1), terms) == TooManyCompanions(1)
    # Another holder's or another offer's companions are theirs.
    assert companions_refusal([ask(1, holder_id="holder-2")], ask(1), terms) is None
    assert companions_refusal([ask(1, offer_id="offer-2")], ask(1), terms) is None


def test_a_companions_line_is_at_the_companion_price_funded_by_the_base_scheme() -> None:
    line = companion_line(companion_terms(most=2), 2)

    assert line == CompanionLine(
        scheme_code="EUROPEAN_DISABILITY_CARD",
        scheme_version=1,
        label="Begeleider (Testtarief)",
        quantity=2,
        unit_price_cents=0,
        discount_cents=1500,
        total_cents=0,
        parts=(TariffPart("EUROPEAN_DISABILITY_CARD", 1, 1500),),
        funding=(FundingShare("partner", 3000, "partner-1", "EUROPEAN_DISABILITY_CARD"),),
    )


def test_a_companions_line_has_one_to_the_maximum_companions() -> None:
    with pytest.raises(ValueError, match="between 1 and 1"):
        companion_line(companion_terms(most=1), 2)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 3),
    st.lists(
        st.tuples(st.sampled_from(("holder-1", "holder-2")), st.sampled_from(("o-1", "o-2"))),
        max_size=6,
    ),
    st.lists(st.integers(0, 3), min_size=6, max_size=6),
)
def test_the_admitted_lines_never_bring_more_companions_than_the_maximum_per_holder_and_offer(
    most: int, places: list[tuple[str, str]], counts: list[int]
) -> None:
    terms = None if most == 0 else companion_terms(most)
    admitted: list[CompanionAsk] = []
    for (holder_id, offer_id), count in zip(places, counts, strict=False):
        line = CompanionAsk(holder_id, offer_id, count)
        refusal = companions_refusal(admitted, line, terms)
        together = sum(
            a.companions
            for a in [*admitted, line]
            if (a.passholder_id, a.offer_id) == (holder_id, offer_id)
        )
        # Refused exactly when the holder's companions at that offer would pass the maximum.
        assert (refusal is None) == (together <= most)
        if refusal is None:
            admitted.append(line)
    for holder_id, offer_id in set(places):
        brought = sum(
            a.companions for a in admitted if (a.passholder_id, a.offer_id) == (holder_id, offer_id)
        )
        assert brought <= most


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 3), st.integers(0, 3))
def test_splitting_companions_over_lines_never_admits_more_than_one_line_would(
    most: int, total: int
) -> None:
    terms = companion_terms(most)
    one_line = companions_refusal([], ask(total), terms) is None
    split = [ask(1)] * total
    admitted = all(companions_refusal(split[:i], split[i], terms) is None for i in range(total))

    assert admitted == one_line
