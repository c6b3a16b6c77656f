"""Where a webhook request goes, and how it is sent: resolved once, judged by the domain's
rule, then sent to the very address that was judged (no second look-up a DNS rebinding
could change), with a timeout, no redirects and a capped response body."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.domain.webhooks import IPAddress, Target, address_refusal, target_of

RESOLVE_TIMEOUT_SECONDS = 3.0


class UrlRefused(ValueError):
    """The URL may not be called: the reason is safe to show to its owner."""


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        # A resolver that does not answer must not hold a request (or a worker) for long.
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError):
        return []
    return sorted({ipaddress.ip_address(info[4][0]) for info in infos}, key=str)


async def checked_target(url: str, *, demo: bool, allow_private: bool) -> tuple[Target, IPAddress]:
    """The URL's target and the address to connect to, or UrlRefused."""
    target = target_of(url, demo=demo)
    if isinstance(target, str):
        raise UrlRefused(target)
    addresses = await resolve(target.host, target.port)
    refusal = address_refusal(addresses, allow_private=allow_private)
    if refusal is not None:
        raise UrlRefused(refusal)
    return target, addresses[0]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def post(
    client: httpx.AsyncClient,
    url: str,
    target: Target,
    address: IPAddress,
    body: bytes,
    headers: Mapping[str, str],
    *,
    max_response_bytes: int,
) -> Answer:
    """POST `body` to `address`, naming the URL's host in Host and in TLS (SNI and the
    certificate check). A redirect is an answer like any other non-2xx: not followed."""
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))
    request = client.build_request(
        "POST",
        pinned,
        content=body,
        headers={**headers, "Host": parts.netloc, "Content-Type": "application/json"},
        extensions={"sni_hostname": target.host},
    )
    try:
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read > max_response_bytes:
                    break  # what the receiver says is not needed beyond its status
        finally:
            await response.aclose()
    except httpx.TimeoutException:
        return Answer(None, "timeout")
    except httpx.HTTPError as error:
        return Answer(None, failure_text(error))
    return Answer(response.status_code, None)


def failure_text(error: BaseException) -> str:
    """What went wrong, for the log and the deliveries listing: the kind of failure and a
    TLS reason, never httpx's message, which may hold the URL with its query (a
    receiver's token)."""
    text = type(error).__name__
    cause: BaseException | None = error
    for _ in range(6):  # httpx wraps httpcore, which wraps the ssl error
        cause = cause.__cause__ or cause.__context__ if cause is not None else None
        if isinstance(cause, ssl.SSLError):
            return f"{text} (TLS: {cause.reason or 'handshake failed'})"
    return text
