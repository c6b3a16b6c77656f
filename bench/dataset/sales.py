"""Sales over the last 14 months: who buys what, when, how many, and what became of it.

96.2 % confirmed, 3 % cancelled (within the partner's cancellation window), 0.4 % expired
holds, 0.4 % live holds (made in the last 5 minutes); 8 % with a second person of the same
region. Each line is priced as a desk would have been quoted on the day of the sale, given
the holder's usage so far in generation order (`lines`), and the usage counters follow the
confirmed sales and live holds exactly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

from app.clock import date_in_brussels
from app.domain.facts import PriceClass
from app.domain.limits import activity_day
from app.domain.pricing import Tariff
from app.domain.reports import settlement_day
from app.settings import Settings

from .columns import COLUMNS, Batch, Row
from .ids import SortedIds
from .lines import LineRows, add_usage, quote
from .sizes import Sizes
from .world import Offer, World

SALES_WINDOW = timedelta(days=426)  # 14 months
HOLD = timedelta(minutes=Settings.model_fields["hold_minutes"].default)
STATUS_WEIGHTS = (("confirmed", 96.2), ("cancelled", 3.0), ("held", 0.4), ("expired", 0.4))


@dataclass(slots=True)
class SaleCounts:
    items: int = 0
    attempts: int = 0
    no_tariff: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def sale_chunks(
    world: World, sizes: Sizes, rng: random.Random, chunk: int, counts: SaleCounts
) -> Iterator[list[Batch]]:
    """Sales over the last 14 months, each line at the tariff the price calculation gives
    on the day of the sale, given the holder's usage so far (in generation order)."""
    now = world.now
    window_start = now - SALES_WINDOW
    window_seconds = int(SALES_WINDOW.total_seconds())
    statuses = [status for status, _ in STATUS_WEIGHTS]
    status_weights = list(accumulate(weight for _, weight in STATUS_WEIGHTS))
    holder_count = len(world.holder_ids)
    ks = world.ks_holders
    offer_count = len(world.offers)
    rows = LineRows()

    def pick_holder() -> int:
        # A skew: some people use their pass far more often than others.
        if ks and rng.random() < 0.55:
            return ks[int(len(ks) * rng.random() ** 1.4)]
        return int(holder_count * rng.random() ** 1.4)

    def sold_at_for(offer: Offer, held: bool) -> datetime | None:
        if held:
            if offer.kind == "one_off" and offer.starts_at is not None and offer.starts_at < now:
                return None
            if offer.kind == "period" and offer.ends_at is not None and offer.ends_at < now:
                return None
            return now - timedelta(seconds=rng.randrange(300))
        if offer.kind == "one_off" and offer.starts_at is not None:
            moment = offer.starts_at - timedelta(seconds=rng.randrange(40 * 86_400))
            if moment > now:
                moment = now - timedelta(seconds=rng.randrange(30 * 86_400))
            return max(moment, window_start)
        if offer.kind == "period" and offer.starts_at is not None and offer.ends_at is not None:
            low = max(offer.starts_at - timedelta(days=30), window_start)
            high = min(offer.ends_at, now)
            if high <= low:
                return None
            return low + timedelta(seconds=rng.randrange(int((high - low).total_seconds())))
        return window_start + timedelta(seconds=rng.randrange(window_seconds))

    def pick_class(offer: Offer, born: date, day: date) -> PriceClass:
        classes = offer.classes
        if len(classes) > 1:
            age = (day - born).days // 365
            codes = [pc.code for pc in classes]
            if age < 12 and "child" in codes and rng.random() < 0.7:
                return classes[codes.index("child")]
            if (age >= 65 or 12 <= age < 26) and "reduced" in codes and rng.random() < 0.5:
                return classes[codes.index("reduced")]
            if rng.random() < 0.2:
                return rng.choice(classes)
        return classes[0]

    def sell(holder: int, offer: Offer, pc: PriceClass, day: date, quantity: int) -> Tariff | None:
        """The tariff the desk sells at: the quote's best, now and then another of it."""
        counts.attempts += 1
        tariffs = quote(world, holder, offer, pc, day, quantity).tariffs
        if not tariffs:
            counts.no_tariff += 1
            return None
        if len(tariffs) > 1 and rng.random() < 0.03:  # a desk picking another tariff
            return tariffs[1 + rng.randrange(len(tariffs) - 1)]
        return tariffs[0]

    for start in range(0, sizes.sales, chunk):
        sale_rows: list[Row] = []
        item_rows: list[Row] = []
        funding_rows: list[Row] = []
        usage_rows: list[Row] = []
        end = min(start + chunk, sizes.sales)
        sale_ids = SortedIds(rng, end - start)
        item_ids = SortedIds(rng, (end - start) * 23 // 20)
        for _ in range(start, end):
            status = rng.choices(statuses, cum_weights=status_weights)[0]
            held = status == "held"
            lines: list[tuple[int, PriceClass, Tariff]] = []
            for _attempt in range(200):
                holder = pick_holder()
                region = world.holder_region[holder]
                if rng.random() < 0.88 and world.offers_by_region[region]:
                    offer = world.offers[rng.choice(world.offers_by_region[region])]
                else:
                    offer = world.offers[rng.randrange(offer_count)]
                sold_at = sold_at_for(offer, held)
                if sold_at is None:
                    continue
                day = date_in_brussels(sold_at)
                activity = activity_day(offer.facts, day)
                pc = pick_class(offer, world.holder_birth[holder], activity)
                roll = rng.random()
                quantity = 1 if roll < 0.86 else 2 if roll < 0.95 else 3 if roll < 0.985 else 4
                tariff = sell(holder, offer, pc, day, quantity)
                if tariff is not None:
                    lines.append((holder, pc, tariff))
                    break
            else:
                raise RuntimeError("no tariff found for a sale in 200 attempts")
            live = status in ("confirmed", "held")
            if live:
                add_usage(world, holder, lines[0][2])
            if rng.random() < 0.08:  # a second person of the same region on the same sale
                other = rng.choice(world.holders_by_region[region])
                if other != holder:
                    pc2 = pick_class(offer, world.holder_birth[other], activity)
                    second = sell(other, offer, pc2, day, 1)
                    if second is not None:
                        lines.append((other, pc2, second))
                        if live:
                            add_usage(world, other, second)

            sale_id = sale_ids.take()
            hold_expires = confirmed = cancelled = None
            if held or status == "expired":
                hold_expires = sold_at + HOLD
            else:
                confirmed = sold_at
            if status == "cancelled":
                # Within the partner's cancellation window, as the service allows.
                window = world.partners[offer.partner].cancellation_window_hours * 3600
                cancelled = min(now, sold_at + timedelta(seconds=rng.randrange(window)))
            held_until = hold_expires if held else None
            sale_rows.append(
                (
                    sale_id,
                    world.partners[offer.partner].id,
                    f"bench-desk-{offer.partner:04d}",
                    status,
                    sold_at,
                    hold_expires,
                    confirmed,
                    cancelled,
                )
            )
            counts.by_status[status] = counts.by_status.get(status, 0) + 1
            for holder_index, pc, tariff in lines:
                item_id = item_ids.take()
                item_rows.append(
                    rows.item(
                        item_id,
                        sale_id,
                        world,
                        holder_index,
                        offer,
                        pc,
                        tariff,
                        activity_date=activity,
                        counted_on=None
                        if confirmed is None
                        else settlement_day(activity, date_in_brussels(confirmed)),
                        uncounted_on=None
                        if cancelled is None
                        else settlement_day(activity, date_in_brussels(cancelled)),
                    )
                )
                counts.items += 1
                funding_rows += rows.funding(item_id, tariff)
                usage_rows += rows.usage(
                    item_id, world.holder_ids[holder_index], tariff, held_until
                )
        yield [
            ("sales", COLUMNS["sales"], sale_rows),
            ("sale_items", COLUMNS["sale_items"], item_rows),
            ("sale_item_funding", COLUMNS["sale_item_funding"], funding_rows),
            ("sale_usage", COLUMNS["sale_usage"], usage_rows),
        ]


def counter_chunks(world: World, chunk: int) -> Iterator[list[Batch]]:
    """The usage counters: per holder and bucket, what the confirmed sales and live holds
    took (the sum the self-check holds them to)."""
    rows: list[Row] = []
    for holder, buckets in world.usage.items():
        holder_id = world.holder_ids[holder]
        for key, used in buckets.items():
            rows.append((holder_id, key, used.tickets, used.discount_cents))
            if len(rows) >= chunk:
                yield [("usage_counters", COLUMNS["usage_counters"], rows)]
                rows = []
    if rows:
        yield [("usage_counters", COLUMNS["usage_counters"], rows)]
