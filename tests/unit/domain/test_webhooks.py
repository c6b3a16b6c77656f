"""Webhook rules: who receives what, the back-off, and where a request may go."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.access import Role
from app.domain.webhooks import (
    PING,
    Owner,
    Target,
    address_refusal,
    gives_up,
    payload_data,
    receives,
    refused_events,
    retry_delay,
    target_of,
)

REGION = "11111111-1111-1111-1111-111111111111"
OTHER_REGION = "22222222-2222-2222-2222-222222222222"
PARTNER = "33333333-3333-3333-3333-333333333333"
OTHER_PARTNER = "44444444-4444-4444-4444-444444444444"
REGISTRY = Owner(Role.REGISTRY, REGION, None)
PARTNER_ADMIN = Owner(Role.PARTNER_ADMIN, REGION, PARTNER)


def addresses(*texts: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    return [ipaddress.ip_address(text) for text in texts]


def test_a_partner_admin_may_subscribe_to_sales_only() -> None:
    assert refused_events(Role.PARTNER_ADMIN, ["sale.confirmed", "card.blocked"]) == [
        "card.blocked"
    ]
    assert refused_events(Role.REGISTRY, ["sale.confirmed", "card.blocked"]) == []
    assert refused_events(Role.REGION_ADMIN, ["no.such"]) == ["no.such"]


def test_a_partner_admin_receives_only_its_own_partners_sales() -> None:
    own = {"partner_id": PARTNER, "passholder_ids": ["p"]}
    other = {"partner_id": OTHER_PARTNER}
    assert receives(PARTNER_ADMIN, "sale.confirmed", REGION, own)
    assert not receives(PARTNER_ADMIN, "sale.confirmed", REGION, other)
    assert not receives(PARTNER_ADMIN, "card.blocked", REGION, own)


def test_a_region_grant_receives_its_own_region_only() -> None:
    assert receives(REGISTRY, "card.blocked", REGION, {})
    assert not receives(REGISTRY, "card.blocked", OTHER_REGION, {})
    assert receives(REGISTRY, PING, OTHER_REGION, {})


def test_a_partner_admin_is_not_told_who_bought() -> None:
    data = {"partner_id": PARTNER, "passholder_ids": ["p1"], "total_cents": 300}
    assert payload_data(PARTNER_ADMIN, "sale-1", data) == {
        "id": "sale-1",
        "partner_id": PARTNER,
        "total_cents": 300,
    }
    assert payload_data(REGISTRY, "sale-1", data)["passholder_ids"] == ["p1"]


def test_a_key_naming_an_insz_never_leaves() -> None:
    assert payload_data(REGISTRY, "x", {"insz_hash": "h", "INSZ": "1"}) == {"id": "x"}


def test_retry_delay_doubles_up_to_the_cap() -> None:
    base, cap = timedelta(seconds=10), timedelta(hours=1)
    delays = [retry_delay(n, base=base, cap=cap, jitter=0) for n in (1, 2, 3, 20)]
    assert delays == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40), cap]


@given(
    attempts=st.integers(min_value=1, max_value=10_000),
    jitter=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_retry_delay_stays_between_half_and_all_of_the_capped_exponential(
    attempts: int, jitter: float
) -> None:
    base, cap = timedelta(seconds=5), timedelta(hours=24)
    full = min(cap, base * 2 ** min(attempts - 1, 40))
    delay = retry_delay(attempts, base=base, cap=cap, jitter=jitter)
    assert full / 2 <= delay <= full


def test_gives_up_after_the_window() -> None:
    first = datetime(2026, 12, 4, 12, tzinfo=UTC)
    window = timedelta(hours=24)
    assert not gives_up(first, first + timedelta(hours=23, minutes=59), window)
    assert gives_up(first, first + window, window)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "::1", "fc00::1", "100.64.0.1"],
)
def test_loopback_and_private_addresses_are_refused_unless_allowed(address: str) -> None:
    assert address_refusal(addresses(address), allow_private=False) is not None
    assert address_refusal(addresses(address), allow_private=True) is None


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fe80::1", "::ffff:169.254.169.254", "fd00:ec2::254"],
)
def test_link_local_and_metadata_addresses_are_refused_even_when_private_is_allowed(
    address: str,
) -> None:
    assert address_refusal(addresses(address), allow_private=True) is not None


def test_one_bad_address_among_good_ones_is_refused() -> None:
    assert address_refusal(addresses("93.184.216.34"), allow_private=False) is None
    assert address_refusal(addresses("93.184.216.34", "10.0.0.1"), allow_private=False)
    assert address_refusal([], allow_private=True) is not None
    unspecified = addresses("0.0.0.0")  # noqa: S104 - the address under test
    assert address_refusal(unspecified, allow_private=True) is not None
    assert address_refusal(addresses("224.0.0.1"), allow_private=True) is not None


def test_only_https_outside_demo_mode() -> None:
    assert target_of("https://hooks.example.org/x", demo=False) == Target(
        "https", "hooks.example.org", 443
    )
    assert isinstance(target_of("http://hooks.example.org/x", demo=False), str)
    assert target_of("http://127.0.0.1:8080/x", demo=True) == Target("http", "127.0.0.1", 8080)
    assert isinstance(target_of("https://user:pw@example.org/", demo=False), str)
    assert isinstance(target_of("ftp://example.org/", demo=True), str)
    assert isinstance(target_of("https://example.org:99999/", demo=False), str)
