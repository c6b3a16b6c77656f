"""Webhook rules: who may subscribe to what, what a delivery says, when to retry, and
where OpenPas may send a request at all.

No I/O here: the addresses a URL resolves to are looked up by the caller and judged here,
so the rule is the same at subscription and at each delivery.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from app.domain.access import PARTNER_ROLES, REGION_ROLES, Role

# The change-feed event types a subscription may ask for: the feed's kinds.
SALE_EVENTS = frozenset({"sale.held", "sale.confirmed", "sale.cancelled"})
EVENT_TYPES = SALE_EVENTS | frozenset(
    {
        "card.issued",
        "card.blocked",
        "card.replaced",
        "entitlement.granted",
        "entitlement.renewed",
        "entitlement.suspended",
        "entitlement.ended",
        "passholder.created",
        "passholder.updated",
        "passholder.moved_in",
        "passholder.moved_out",
        "passholder.pending_applied",
        "voucher.issued",
        "voucher.revoked",
    }
)
PING = "webhook.ping"
SUBSCRIBER_ROLES = frozenset({Role.REGION_ADMIN, Role.REGISTRY, Role.PARTNER_ADMIN})

# What a partner's grant may read of a sale (its own sales, `GET /v1/sales`): not who bought.
_PERSONAL_KEYS = frozenset({"passholder_id", "passholder_ids"})


def events_for(role: Role) -> frozenset[str]:
    """The event types a grant may subscribe to: a region's registry and admin read the
    whole change feed of their region; a partner's admin only its own sales."""
    if role in REGION_ROLES:
        return EVENT_TYPES
    if role in PARTNER_ROLES:
        return SALE_EVENTS
    return frozenset()


def refused_events(role: Role, events: Iterable[str]) -> list[str]:
    allowed = events_for(role)
    return sorted({event for event in events if event not in allowed})


@dataclass(frozen=True, slots=True)
class Owner:
    """The grant a subscription was made with."""

    role: Role
    region_id: str
    partner_id: str | None


def receives(owner: Owner, kind: str, region_id: str, data: Mapping[str, Any]) -> bool:
    """True when the owner's grant could read this event through the API: the trigger that
    enqueues deliveries applies the same rule in SQL; this one is checked again before
    anything is sent."""
    if kind == PING:
        return True
    if kind not in events_for(owner.role) or region_id != owner.region_id:
        return False
    if owner.role in PARTNER_ROLES:
        return owner.partner_id is not None and data.get("partner_id") == owner.partner_id
    return True


def payload_data(owner: Owner, entity_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The `data` of a delivery: the event's ids and what the change feed shows, less what
    the owner's grant may not read. Never an INSZ: the feed holds none, and a key that
    names one is dropped all the same."""
    shown = {
        key: value
        for key, value in data.items()
        if "insz" not in key.lower() and not (owner.role in PARTNER_ROLES and key in _PERSONAL_KEYS)
    }
    return {"id": entity_id, **shown}


def retry_delay(attempts: int, *, base: timedelta, cap: timedelta, jitter: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base · 2^(attempts-1), at most `cap`,
    of which a random part (`jitter` in [0, 1), drawn by the caller) is taken off, up to a
    half, so that receivers coming back are not hit by every sender at once."""
    if attempts < 1:
        raise ValueError("attempts starts at 1")
    if not 0 <= jitter < 1:
        raise ValueError("jitter is in [0, 1)")
    exponent = min(attempts - 1, 40)  # 2^40 · base is past any cap; keeps the number small
    full: timedelta = min(cap, base * (2**exponent))
    taken: timedelta = full * (jitter / 2)
    return full - taken


def gives_up(first_failed_at: datetime, now: datetime, window: timedelta) -> bool:
    """Retries stop when a delivery has been failing for the whole window."""
    return now - first_failed_at >= window


# --- where a webhook may go ------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services that are not link-local: refused even on a closed network.
_METADATA = (
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IMDS over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: private in all but name


def address_refusal(addresses: Sequence[IPAddress], *, allow_private: bool) -> str | None:
    """Why a request may not go to these addresses (all that a host name resolved to), or
    None. Link-local (169.254.0.0/16, fe80::/10, where cloud metadata lives) and metadata
    addresses are always refused; loopback and private ones unless `allow_private`."""
    if not addresses:
        return "the host name resolves to no address"
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_link_local or any(address in network for network in _METADATA):
            return f"{address} is a link-local or metadata address"
        if address.is_multicast or address.is_unspecified:
            return f"{address} is not a unicast address"
        if address.is_loopback or address.is_private or address in _SHARED:
            if not allow_private:
                return f"{address} is a loopback or private address"
            continue
        if address.is_reserved:
            return f"{address} is a reserved address"
        if not address.is_global:
            return f"{address} is not a public address"
    return None


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int


def target_of(url: str, *, demo: bool) -> str | Target:
    """The URL's scheme, host and port, or why it is refused: outside demo mode only https;
    no credentials in the URL (they would be sent to whoever answers)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    allowed = ("https", "http") if demo else ("https",)
    if parts.scheme not in allowed:
        return "only https:// URLs are accepted" if not demo else "only http(s):// URLs"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username is not None or parts.password is not None:
        return "the URL may not carry credentials"
    if parts.fragment:
        return "the URL may not have a fragment"
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default)
