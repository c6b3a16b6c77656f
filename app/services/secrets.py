"""Client secrets: random, shown once, stored only as an Argon2 hash.

An Argon2 check costs ≈ 0.1 s of CPU by design. On the event loop it would freeze every
other request of the process for that long (a desk's quote, /health): so it runs in a
worker thread — argon2-cffi releases the GIL while it hashes — at most
`HASHING_CONCURRENCY` at once and at a low CPU priority (nice 10), so a burst of token requests
queues behind each other instead of taking the cores from the event loop (rate limits,
app.api.rate_limits, bound the burst itself).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when a client id is unknown keeps the answer time the same,
# so response times do not tell which client ids exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


_T = TypeVar("_T")
# One hash at a time per process, in a thread of its own at a low CPU priority (nice 10): a
# burst of token requests then queues behind itself and takes only the CPU the event loop
# leaves (Argon2 runs four lanes in parallel by default and would otherwise take every
# core). A token request is rare next to the desk's traffic; its wait does not matter.
HASHING_CONCURRENCY = 1
_LOWEST_PRIORITY = 10
_executor: ThreadPoolExecutor | None = None


def _lower_priority() -> None:
    # On Linux a nice value belongs to a thread (and to the threads it starts).
    with suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _LOWEST_PRIORITY)


async def _off_loop(work: Callable[..., _T], *args: str | None) -> _T:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=HASHING_CONCURRENCY,
            thread_name_prefix="openpas-secrets",
            initializer=_lower_priority,
        )
    return await asyncio.get_running_loop().run_in_executor(_executor, work, *args)


async def hash_secret_off_loop(secret: str) -> str:
    return await _off_loop(hash_secret, secret)


async def verify_secret_off_loop(secret_hash: str | None, secret: str) -> bool:
    return await _off_loop(verify_secret, secret_hash, secret)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash or _DUMMY_HASH, secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(secret_hash: str) -> bool:
    return _hasher.check_needs_rehash(secret_hash)
