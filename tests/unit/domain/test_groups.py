"""Groups and ticket requests: who meets a group scheme, which allocation a group's
tickets come out of, what a group is offered, and how a ticket request moves on."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.conditions import (
    CardHolderCondition,
    GroupCondition,
    OrganisationKindCondition,
    compile_condition,
    group_only,
    parse_condition,
    subject_of,
    voucher_only,
)
from app.domain.facts import HolderFacts
from app.domain.groups import (
    ALLOCATION_BUCKET,
    AllocationAtHand,
    allocation_for,
    allocation_of,
    priced_for_group,
    too_large,
)
from app.domain.pricing import NotApplicable
from app.domain.reasons import Reason
from app.domain.schemes import DEFAULT_GROUP_SIZE, SchemeDefinition, SchemeValidationError
from app.domain.ticket_requests import (
    TicketRequestMove,
    TicketRequestRefusal,
    TicketRequestStatus,
    move,
)
from app.domain.validation import Problems
from app.domain.vouchers import BUDGET_BUCKET
from tests.unit.domain.factories import SALE_DAY, holder, quote, scheme

SCHOOL_GROUP = {"all": [{"group": True}, {"organisation_kind": "school"}]}


def _group(kind: str = "school", *, voucher: bool = False) -> HolderFacts:
    return HolderFacts(
        "org-1",
        None,
        None,
        "REGIO_KORTRIJK",
        organisation_id="org-1",
        group=True,
        organisation_kind=kind,
        voucher=voucher,
    )


def _allocation(
    allocation_id: str = "a-1",
    *,
    scheme_code: str = "GROUP",
    tickets: int = 10,
    used: int = 0,
    valid_from: date = date(2026, 1, 1),
    valid_until: date = date(2026, 12, 31),
    budget_cents: int | None = None,
    budget_used_cents: int = 0,
    lapsed_held: int = 0,
) -> AllocationAtHand:
    return AllocationAtHand(
        allocation_id,
        scheme_code,
        valid_from,
        valid_until,
        tickets,
        used,
        budget_cents,
        lapsed_held,
        budget_used_cents,
    )


def _group_scheme(**overrides: object) -> SchemeDefinition:
    return scheme(
        code="GROUP",
        eligibility=SCHOOL_GROUP,
        price={"type": "fixed_price", "amount_cents": 200},
        owner_region=None,
        **overrides,
    )


def _meets(condition: object, who: HolderFacts) -> bool:
    problems = Problems()
    parsed = parse_condition(condition, "", problems, owner_region=None)
    assert problems.errors == []
    return compile_condition(parsed, None)(subject_of(who, SALE_DAY))


def test_only_a_group_of_the_kind_named_meets_a_school_group_scheme() -> None:
    assert _meets(SCHOOL_GROUP, _group("school"))
    assert not _meets(SCHOOL_GROUP, _group("association"))
    assert not _meets(SCHOOL_GROUP, holder())
    assert not _meets({"card_holder": True}, _group())
    assert _meets({"card_holder": True}, holder())
    assert not _meets({"group": True}, holder())


def test_a_group_leaf_every_branch_needs_makes_a_scheme_group_only() -> None:
    problems = Problems()
    parsed = parse_condition(SCHOOL_GROUP, "", problems, owner_region=None)
    assert group_only(parsed)
    assert not voucher_only(parsed)
    assert group_only(GroupCondition())
    assert not group_only(OrganisationKindCondition("school"))
    assert not group_only(CardHolderCondition())


def test_an_unknown_organisation_kind_is_refused_with_its_pointer() -> None:
    problems = Problems()
    parse_condition({"organisation_kind": "club"}, "/eligibility", problems, owner_region=None)
    assert [at for at, _ in problems.errors] == ["/eligibility/organisation_kind"]


def test_max_group_size_belongs_to_group_schemes_only() -> None:
    assert _group_scheme(max_group_size=30).max_group_size == 30
    assert _group_scheme().group_size == DEFAULT_GROUP_SIZE
    with pytest.raises(SchemeValidationError):
        scheme(max_group_size=30)
    with pytest.raises(SchemeValidationError):
        _group_scheme(max_group_size=0)
    round_trip = _group_scheme(max_group_size=12)
    assert round_trip.to_dict()["max_group_size"] == 12


def test_a_groups_tickets_come_out_of_the_running_allocation_that_ends_first() -> None:
    later = _allocation("a-late", valid_until=date(2026, 12, 31))
    sooner = _allocation("a-soon", valid_until=date(2026, 6, 30))
    over = _allocation("a-over", valid_until=date(2026, 1, 31))
    found = allocation_for([later, sooner, over], "GROUP", SALE_DAY, 4)
    assert found == sooner
    # The one ending first has too few: the next one.
    short = _allocation("a-soon", valid_until=date(2026, 6, 30), used=8)
    assert allocation_for([later, short], "GROUP", SALE_DAY, 4) == later


def test_without_a_running_allocation_or_enough_on_it_a_group_is_told_why() -> None:
    assert allocation_for([], "GROUP", SALE_DAY, 1) == NotApplicable("GROUP", Reason.NO_ALLOCATION)
    other = _allocation(scheme_code="OTHER")
    assert allocation_for([other], "GROUP", SALE_DAY, 1) == NotApplicable(
        "GROUP", Reason.NO_ALLOCATION
    )
    assert allocation_for([_allocation(used=9)], "GROUP", SALE_DAY, 2) == NotApplicable(
        "GROUP", Reason.ALLOCATION_EXHAUSTED, "1 ticket left on the allocation"
    )


def test_a_lapsed_hold_does_not_count_against_the_allocation() -> None:
    assert _allocation(used=10, lapsed_held=3).tickets_left == 3


def test_a_group_is_offered_its_schemes_tariff_with_the_allocations_claim() -> None:
    group_scheme = _group_scheme(max_group_size=30)
    priced = quote([group_scheme], for_holder=_group(), quantity=25)
    offered = priced_for_group(
        priced,
        [_allocation(tickets=40, used=5, budget_cents=50_000, budget_used_cents=0)],
        {"GROUP": group_scheme},
        quantity=25,
        day=SALE_DAY,
    )
    [tariff] = offered.tariffs
    assert tariff.unit_price_cents == 200
    assert tariff.remaining == 35
    assert tariff.companions is None
    assert allocation_of(tariff) == "a-1"
    claims = {(c.bucket_key, c.owner): c for c in tariff.usage_claims}
    assert claims[(ALLOCATION_BUCKET, "a-1")].tickets == 25
    assert claims[(BUDGET_BUCKET, "a-1")].discount_cents == (1500 - 200) * 25
    assert offered.best_tariff_id == tariff.tariff_id


def test_above_max_group_size_or_the_budget_a_group_is_offered_nothing() -> None:
    group_scheme = _group_scheme(max_group_size=30)
    schemes = {"GROUP": group_scheme}
    big = quote([group_scheme], for_holder=_group(), quantity=31)
    refused = priced_for_group(big, [_allocation(tickets=100)], schemes, quantity=31, day=SALE_DAY)
    assert refused.tariffs == ()
    assert refused.not_applicable[-1] == NotApplicable(
        "GROUP", Reason.GROUP_TOO_LARGE, "at most 30"
    )
    assert too_large(refused, schemes) == 30
    small = quote([group_scheme], for_holder=_group(), quantity=2)
    poor = priced_for_group(
        small,
        [_allocation(budget_cents=1_000, budget_used_cents=0)],
        schemes,
        quantity=2,
        day=SALE_DAY,
    )
    assert poor.tariffs == ()
    assert poor.not_applicable[-1].reason is Reason.BUDGET_EXHAUSTED
    assert too_large(poor, schemes) is None


@given(
    tickets=st.integers(min_value=1, max_value=50),
    used=st.integers(min_value=0, max_value=50),
    quantity=st.integers(min_value=1, max_value=30),
)
def test_a_group_is_never_offered_more_than_its_allocation_has_left(
    tickets: int, used: int, quantity: int
) -> None:
    used = min(used, tickets)
    group_scheme = _group_scheme(max_group_size=30)
    priced = quote([group_scheme], for_holder=_group(), quantity=quantity)
    offered = priced_for_group(
        priced,
        [_allocation(tickets=tickets, used=used)],
        {"GROUP": group_scheme},
        quantity=quantity,
        day=SALE_DAY,
    )
    if quantity <= tickets - used:
        [tariff] = offered.tariffs
        assert tariff.remaining == tickets - used
    else:
        assert offered.tariffs == ()
        assert offered.not_applicable[-1].reason is Reason.ALLOCATION_EXHAUSTED


def test_only_a_requested_ticket_request_moves_on() -> None:
    requested = TicketRequestStatus.REQUESTED
    assert move(requested, TicketRequestMove.ACCEPT) is TicketRequestStatus.ACCEPTED
    assert move(requested, TicketRequestMove.DECLINE) is TicketRequestStatus.DECLINED
    assert move(requested, TicketRequestMove.WITHDRAW) is TicketRequestStatus.WITHDRAWN


@given(st.sampled_from(TicketRequestStatus), st.sampled_from(TicketRequestMove))
def test_a_decided_or_withdrawn_request_is_never_moved_again(
    status: TicketRequestStatus, wanted: TicketRequestMove
) -> None:
    after = move(status, wanted)
    if status is TicketRequestStatus.REQUESTED:
        assert after is not TicketRequestRefusal.NOT_OPEN
        assert move(after, wanted) is TicketRequestRefusal.NOT_OPEN
    else:
        assert after is TicketRequestRefusal.NOT_OPEN


def test_a_group_scheme_is_described_in_plain_language_with_its_group_size() -> None:
    from app.domain.summary import describe
    from app.i18n import texts

    group_scheme = _group_scheme(max_group_size=30)
    assert describe(group_scheme, texts("nl"), {}) == (
        "Als je met een groepspas komt en met een school komt, betaal je € 2,00; "
        "tot 30 tickets per keer."
    )
    assert describe(group_scheme, texts("en"), {}).endswith("up to 30 tickets at a time.")
    only_groups = scheme(
        code="GROEP", eligibility={"group": True}, price={"type": "free"}, owner_region=None
    )
    assert describe(only_groups, texts("fr"), {}).startswith("Avec une carte de groupe")


def test_an_ask_is_refused_after_the_allocation_above_the_group_size_or_what_is_left() -> None:
    from app.domain.ticket_requests import AskRefusal, ask_refusal

    def ask(tickets: int, *, left: int = 10, today: date = SALE_DAY) -> AskRefusal | None:
        return ask_refusal(
            tickets=tickets,
            tickets_left=left,
            group_size=20,
            today=today,
            allocation_until=date(2026, 12, 31),
        )

    assert ask(10) is None
    assert ask(11) is AskRefusal.ALLOCATION_EXHAUSTED
    assert ask(21, left=100) is AskRefusal.GROUP_TOO_LARGE
    assert ask(1, today=date(2027, 1, 1)) is AskRefusal.ALLOCATION_OVER
