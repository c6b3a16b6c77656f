"""Voucher codes, a voucher's status and what a desk may sell on it: pure rules."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from app.domain.conditions import (
    AllOf,
    AnyOf,
    CardHolderCondition,
    VoucherCondition,
    compile_condition,
    parse_condition,
    subject_of,
    voucher_only,
)
from app.domain.facts import HolderFacts
from app.domain.validation import Problems
from app.domain.vouchers import (
    ALPHABET,
    CODE_LENGTH,
    VoucherFacts,
    VoucherRefusal,
    VoucherStatus,
    desk_refusal,
    new_code,
    normalise_code,
    printed_code,
    voucher_status,
)

DAY = date(2027, 3, 10)


def _voucher(**changes: object) -> VoucherFacts:
    values: dict[str, object] = {
        "voucher_id": "v-1",
        "code": "X",
        "status": "active",
        "people": 3,
        "valid_until": date(2027, 12, 31),
        "offer_id": None,
        "partner_id": None,
        "organisation_id": "o-1",
        "region_id": "r-1",
        "region_code": "REGIO_KORTRIJK",
        "allocation_id": "a-1",
        "scheme_code": "ARTIKEL_27_BON",
        "allocation_valid_from": date(2027, 1, 1),
        "allocation_valid_until": date(2027, 12, 31),
        "budget_cents": None,
    }
    values.update(changes)
    return VoucherFacts(**values)  # type: ignore[arg-type]


def test_a_new_code_has_fourteen_symbols_of_the_alphabet_and_passes_its_check() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(ALPHABET)
        assert normalise_code(code) == code


@given(st.data())
def test_every_mistyped_symbol_is_caught_by_the_check_symbol(data: st.DataObject) -> None:
    code = new_code()
    at = data.draw(st.integers(0, CODE_LENGTH - 1))
    other = data.draw(st.sampled_from([ch for ch in ALPHABET if ch != code[at]]))
    assert normalise_code(code[:at] + other + code[at + 1 :]) is None


def test_a_code_is_read_in_any_case_with_dashes_and_i_l_o_for_one_and_zero() -> None:
    code = "01" + new_code()[2:]
    body = code[:-1]
    from stdnum import luhn

    code = body + luhn.calc_check_digit(body, alphabet=ALPHABET)
    typed = printed_code(code).lower().replace("0", "o", 1).replace("1", "l", 1)
    assert normalise_code(typed) == code
    assert normalise_code(code[:-1]) is None
    assert normalise_code(code + "0") is None
    assert normalise_code("U" * CODE_LENGTH) is None


def test_a_revoked_voucher_stays_revoked_and_a_used_up_one_reads_used_before_expired() -> None:
    until = date(2027, 1, 31)
    assert voucher_status(revoked=True, valid_until=until, people=2, used=2, on=DAY) == (
        VoucherStatus.REVOKED
    )
    assert voucher_status(revoked=False, valid_until=until, people=2, used=2, on=DAY) == (
        VoucherStatus.USED
    )
    assert voucher_status(revoked=False, valid_until=until, people=2, used=1, on=DAY) == (
        VoucherStatus.EXPIRED
    )
    assert voucher_status(revoked=False, valid_until=until, people=2, used=1, on=until) == (
        VoucherStatus.ACTIVE
    )


def test_a_desk_may_sell_only_the_tickets_left_at_the_offer_and_partner_named_on_it() -> None:
    ok = {"on": DAY, "offer_id": "offer", "partner_id": "partner"}
    assert desk_refusal(_voucher(), used=1, quantity=2, **ok) is None  # type: ignore[arg-type]
    assert desk_refusal(_voucher(), used=2, quantity=2, **ok) == VoucherRefusal.USED_UP  # type: ignore[arg-type]
    assert desk_refusal(_voucher(offer_id="other"), used=0, quantity=1, **ok) == (  # type: ignore[arg-type]
        VoucherRefusal.NOT_HERE
    )
    assert desk_refusal(_voucher(partner_id="other"), used=0, quantity=1, **ok) == (  # type: ignore[arg-type]
        VoucherRefusal.NOT_HERE
    )
    assert desk_refusal(_voucher(status="revoked"), used=0, quantity=1, **ok) == (  # type: ignore[arg-type]
        VoucherRefusal.REVOKED
    )
    # Its own last day, and its allocation's period, bound it.
    expired = _voucher(valid_until=date(2027, 3, 9))
    assert desk_refusal(expired, used=0, quantity=1, **ok) == VoucherRefusal.EXPIRED  # type: ignore[arg-type]
    early = _voucher(allocation_valid_from=date(2027, 4, 1))
    assert desk_refusal(early, used=0, quantity=1, **ok) == VoucherRefusal.EXPIRED  # type: ignore[arg-type]


def test_only_a_voucher_meets_the_voucher_leaf_and_a_voucher_has_no_pass() -> None:
    problems = Problems()
    leaf = parse_condition({"voucher": True}, "/eligibility", problems, owner_region=None)
    assert problems.errors == []
    assert leaf == VoucherCondition()
    voucher = HolderFacts("v", None, None, "REGIO_KORTRIJK", voucher=True)
    person = HolderFacts("p", date(1990, 1, 1), "34022", "REGIO_KORTRIJK")
    is_voucher = compile_condition(leaf, None)
    has_pass = compile_condition(CardHolderCondition(), None)
    assert is_voucher(subject_of(voucher, DAY))
    assert not is_voucher(subject_of(person, DAY))
    assert has_pass(subject_of(person, DAY))
    assert not has_pass(subject_of(voucher, DAY))


def test_a_scheme_is_for_vouchers_only_when_every_way_to_meet_it_needs_a_voucher() -> None:
    assert voucher_only(VoucherCondition())
    assert voucher_only(AllOf((VoucherCondition(), CardHolderCondition())))
    assert not voucher_only(AnyOf((VoucherCondition(), CardHolderCondition())))
    assert voucher_only(AnyOf((VoucherCondition(), AllOf((VoucherCondition(),)))))
    assert not voucher_only(CardHolderCondition())
