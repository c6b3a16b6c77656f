"""A webhook URL is judged on the addresses its host name resolves to, not on its text."""

from __future__ import annotations

import pytest

from app.webhooks.net import UrlRefused, checked_target


async def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    with pytest.raises(UrlRefused, match="loopback or private"):
        await checked_target("https://localhost/hooks", demo=False, allow_private=False)


async def test_a_name_that_resolves_to_loopback_passes_where_private_is_allowed() -> None:
    target, address = await checked_target(
        "https://localhost:8443/hooks", demo=False, allow_private=True
    )
    assert (target.host, target.port) == ("localhost", 8443)
    assert address.is_loopback


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UrlRefused, match="resolves to no address"):
        await checked_target("https://no-such-host.invalid/", demo=False, allow_private=True)


async def test_plain_http_is_refused_outside_demo_mode_before_any_lookup() -> None:
    with pytest.raises(UrlRefused, match="only https"):
        await checked_target("http://localhost/", demo=False, allow_private=True)
