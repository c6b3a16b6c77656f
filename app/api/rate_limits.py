"""Rate limits (the `limits` library): in this process's memory, or shared by every process
through Redis when OPENPAS_REDIS_URL is set.

Which limits and how much are settings (`OPENPAS_RATE_LIMIT_*`, e.g. ``"600/minute"``; an
empty value switches one off). A refusal is 429 `rate-limited` with `Retry-After` and the
draft IETF RateLimit fields as three headers (`RateLimit-Limit`, `RateLimit-Remaining`,
`RateLimit-Reset`, the last in seconds), and is counted in /metrics
(`openpas_rate_limit_refusals_total{limit}`), as app.refusals writes every such refusal.

Every request that looks up a card or a voucher for a desk — quotes, sales and check-ins,
through the API or the web desk — goes through `desk_look_up`, so that no entry point is a
way around the quote/sale and failed-look-up limits.

Two kinds of limit, by what a check may cost:

- *Exact* limits — token requests per client and per address, failed card look-ups per
  client — are checked where they count, in Redis when it is configured: one round trip
  (≈ 0.3-0.5 ms here), paid only by token requests and by failed look-ups, which are rare.
- *Hot* limits — quotes and sales per client — are on the desk's path, where a Redis round
  trip per request would cost more than the rest of a quote's own work in this process.
  Each process counts them in memory (a few µs; one process alone never lets more through
  than the limit), and a background task adds its counts to the shared Redis counter every
  `FLUSH_SECONDS`; a process whose flush finds the shared count over the limit refuses
  that client until the window ends. Across processes the limit holds within what each
  process lets through before its next flush (its requests of one flush interval).

A failed look-up (unknown, blocked or replaced card) is counted after it failed; once a
client is over that limit its *every* look-up is refused until the window ends — a valid
card number then tells it nothing either. That refusal is remembered in the process that
saw it (and, through Redis, by the others at their client's next failure).

When Redis does not answer, the limits fall back to this process's memory (logged), rather
than refuse or stop the desk.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Final

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from app.errors import OpenPasError, TooManyRequests
from app.refusals import too_many
from app.settings import Settings

log = structlog.get_logger("openpas.rate_limits")

TOKEN_PER_CLIENT: Final = "token_per_client"  # noqa: S105 - a limit name
TOKEN_PER_ADDRESS: Final = "token_per_address"  # noqa: S105 - a limit name
FAILED_CARD_LOOKUPS: Final = "failed_card_lookups"
QUOTES: Final = "quotes"
SALES: Final = "sales"
# Problems of a look-up that found no usable card: what a prober of card numbers gets.
FAILED_LOOKUP_CODES: Final = frozenset({"card-not-found", "card-blocked", "card-replaced"})
FLUSH_SECONDS: Final = 0.25


def limit_items(settings: Settings) -> dict[str, RateLimitItem]:
    """The configured limits by name; a limit set to "" is off."""
    configured = {
        TOKEN_PER_CLIENT: settings.rate_limit_token_per_client,
        TOKEN_PER_ADDRESS: settings.rate_limit_token_per_address,
        FAILED_CARD_LOOKUPS: settings.rate_limit_failed_card_lookups,
        QUOTES: settings.rate_limit_quotes,
        SALES: settings.rate_limit_sales,
    }
    return {name: parse(value) for name, value in configured.items() if value.strip()}


class RateLimits:
    def __init__(
        self,
        items: Mapping[str, RateLimitItem],
        *,
        redis_url: str = "",
        namespace: str = "openpas",
    ) -> None:
        self.items = dict(items)
        self._local = FixedWindowRateLimiter(MemoryStorage())
        self._shared_storage: Storage | None = None
        if redis_url:
            self._shared_storage = RedisStorage(
                "async+" + redis_url if not redis_url.startswith("async+") else redis_url,
                key_prefix=namespace,
            )
        self._shared = (
            None if self._shared_storage is None else FixedWindowRateLimiter(self._shared_storage)
        )
        # (limit, key) -> until when (epoch seconds) this process refuses it outright.
        self._blocked: dict[tuple[str, str], float] = {}
        # Hot limits' hits not yet added to the shared counters.
        self._pending: dict[tuple[str, str], int] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._last_failure_log = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(
            limit_items(settings),
            redis_url=settings.redis_url,
            namespace=settings.rate_limit_namespace,
        )

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None

    # Exact limits.

    async def hit(self, name: str, key: str) -> None:
        """Count one request against limit `name` for `key`; 429 when it is over."""
        item = self.items.get(name)
        if item is None:
            return
        self._refuse_if_blocked(name, key)
        limiter = self._local
        if self._shared is not None:
            try:
                if await self._shared.hit(item, name, key):
                    return
                limiter = self._shared
            except Exception as error:  # Redis away: count here rather than stop the desk
                self._storage_failed(error)
                limiter = self._local
                if await limiter.hit(item, name, key):
                    return
        elif await limiter.hit(item, name, key):
            return
        stats = await limiter.get_window_stats(item, name, key)
        self._block(name, key, stats.reset_time)
        raise self._refusal(name, item, stats.reset_time)

    def _refuse_if_blocked(self, name: str, key: str) -> None:
        until = self._blocked.get((name, key))
        if until is None:
            return
        if time.time() < until:
            raise self._refusal(name, self.items[name], until)
        del self._blocked[(name, key)]

    @asynccontextmanager
    async def card_lookups(self, key: str) -> AsyncIterator[None]:
        """Around a look-up by card number: refused while `key` is over its failed-look-up
        limit; a failure to find a usable card counts against it (and may refuse it)."""
        if FAILED_CARD_LOOKUPS in self.items:
            self._refuse_if_blocked(FAILED_CARD_LOOKUPS, key)
        try:
            yield
        except OpenPasError as problem:
            if problem.code in FAILED_LOOKUP_CODES:
                await self.hit(FAILED_CARD_LOOKUPS, key)
            raise

    @asynccontextmanager
    async def desk_look_up(self, hot: str, key: str) -> AsyncIterator[None]:
        """Around every desk request that looks up a card or a voucher — a quote, a sale, a
        check-in, through the API or the web desk: counted against the hot limit `hot` for
        `key`, and against the failed look-ups. One place, so that no entry point lets a
        prober of card numbers around the limits."""
        await self.hit_hot(hot, key)
        async with self.card_lookups(key):
            yield

    # Hot limits.

    async def hit_hot(self, name: str, key: str) -> None:
        """Like `hit`, counted in memory at once and in Redis by the background flush."""
        item = self.items.get(name)
        if item is None:
            return
        self._refuse_if_blocked(name, key)
        if not await self._local.hit(item, name, key):
            stats = await self._local.get_window_stats(item, name, key)
            self._block(name, key, stats.reset_time)
            raise self._refusal(name, item, stats.reset_time)
        if self._shared_storage is not None:
            self._pending[(name, key)] = self._pending.get((name, key), 0) + 1
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Add this process's pending hot hits to the shared counters; block the keys whose
        shared count is over their limit."""
        pending, self._pending = self._pending, {}
        storage = self._shared_storage
        if storage is None:
            return
        for (name, key), count in pending.items():
            item = self.items[name]
            redis_key = item.key_for(name, key)
            try:
                total = await storage.incr(redis_key, item.get_expiry(), amount=count)
                if total > item.amount:
                    self._block(name, key, await storage.get_expiry(redis_key))
            except Exception as error:
                self._storage_failed(error)
                return

    # Refusals.

    def _block(self, name: str, key: str, until: float) -> None:
        if len(self._blocked) > 100_000:
            now = time.time()
            self._blocked = {k: v for k, v in self._blocked.items() if v > now}
        self._blocked[(name, key)] = until

    @staticmethod
    def _refusal(name: str, item: RateLimitItem, reset_at: float) -> TooManyRequests:
        seconds = max(1, math.ceil(reset_at - time.time()))
        return too_many(
            f"Too many requests ({name}: at most {item}); try again in {seconds} s.",
            limit=name,
            amount=item.amount,
            seconds=seconds,
        )

    def _storage_failed(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_failure_log > 10:  # one line per 10 s, not one per request
            self._last_failure_log = now
            log.warning("rate_limit_storage_unavailable", error_type=type(error).__name__)
