"""CPU cost of one price calculation: one holder against a catalogue of 200 schemes.

Run: .venv/bin/python bench/price_engine.py [--schemes 200] [--rounds 7] [--calls 2000]

The catalogue mixes what a platform serving several regions would hold: most schemes
belong to other regions or other partners (skipped after a cheap check), some ask for a
status or an age the holder lacks, and a handful apply, with limits, budgets, an on_top
coupon and funding by residence. Time is CPU time (time.process_time) per price() call;
the figure reported is the median of several rounds, after a warm-up that compiles the
schemes (as a long-running server would have).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date

from app.domain.entitlements import EntitlementFact
from app.domain.facts import HolderFacts, OfferFacts, PriceClass
from app.domain.limits import UsageAmount
from app.domain.pricing import Quote, price, usage_keys
from app.domain.schemes import SchemeDefinition, parse_scheme

SALE_DAY = date(2026, 3, 14)
REGIONS = ["REGIO_KORTRIJK", "BRUGGE", *(f"REGIO_{i:02d}" for i in range(18))]
STATUSES = ["kansenstatuut", "verhoogde_tegemoetkoming", "leefloon", "large_family"]


def varied_schemes(count: int, seed: int = 20260314) -> list[SchemeDefinition]:
    rng = random.Random(seed)
    schemes = []
    for i in range(count):
        region = REGIONS[0] if i % 10 == 0 else rng.choice(REGIONS)
        eligibility: dict[str, object] = rng.choice(
            [
                {"entitlement": rng.choice(STATUSES), "in_region": "owner"},
                {"age": {"max": rng.randint(5, 17)}},
                {"age": {"min": rng.randint(55, 70)}},
                {
                    "all": [
                        {"entitlement": rng.choice(STATUSES), "in_region": "any"},
                        {"resident_of": region},
                    ]
                },
                {"any": [{"age": {"max": 11}}, {"entitlement": "kansenstatuut"}]},
                {"card_holder": True},
            ]
        )
        price_rule = rng.choice(
            [
                {"type": "pay_percent", "percent": 20, "rounding": "down_10"},
                {"type": "percent_off", "percent": rng.choice([10, 25, 50, 80])},
                {"type": "fixed_price", "amount_cents": 125},
                {"type": "amount_off", "amount_cents": 300},
            ]
        )
        limits = rng.choice(
            [
                [],
                [{"count": 1, "scope": "offer", "period": "absolute"}],
                [{"discount_cents": 24000, "scope": "scheme", "period": "year"}],
                [
                    {"count": 4, "scope": "partner", "period": "month"},
                    {"discount_cents": 5000, "scope": "partner", "period": "month"},
                ],
            ]
        )
        data: dict[str, object] = {
            "code": f"SCHEME_{i:03d}",
            "name": {"nl": f"Tarief {i}"},
            "owner_region": region,
            "eligibility": eligibility,
            "applies_to": rng.choice(
                [
                    {"partners": "owner_region"},
                    {"partners": "owner_region", "categories": ["sport"]},
                    {"partners": [f"partner-{rng.randint(1, 50)}"]},
                ]
            ),
            "price": price_rule,
            "limits": limits,
            "stacking": "on_top" if i % 40 == 7 else "exclusive",
            "priority": rng.randint(0, 5),
        }
        if i % 3 == 0:
            data["funding_by_residence"] = {
                "same_municipality": [
                    {"payer": "home_municipality", "percent": 50},
                    {"payer": "partner", "rest": True},
                ],
                "other": [{"payer": "partner", "rest": True}],
            }
        else:
            data["funding"] = [
                {"payer": "partner", "percent": 50},
                {"payer": "scheme_owner", "rest": True},
            ]
        schemes.append(parse_scheme(data))
    return schemes


HOLDER = HolderFacts(
    passholder_id="holder-1",
    birth_date=date(1984, 6, 20),
    municipality_nis="34022",
    region="REGIO_KORTRIJK",
    entitlements=(
        EntitlementFact("kansenstatuut", "REGIO_KORTRIJK", date(2025, 5, 1), date(2026, 4, 30)),
        EntitlementFact("leefloon", None, date(2024, 1, 1), date(2025, 12, 31), grace_days=30),
    ),
)
OFFER = OfferFacts("offer-1", "partner-1", "REGIO_KORTRIJK", "34022", "podium", date(2026, 4, 2))
PRICE_CLASS = PriceClass("standard", 1500)


def cpu_microseconds_per_call(
    schemes: tuple[SchemeDefinition, ...],
    holder: HolderFacts | None,
    usage: dict[str, UsageAmount],
    *,
    rounds: int,
    calls: int,
) -> tuple[float, Quote]:
    def once() -> Quote:
        return price(
            offer=OFFER,
            price_class=PRICE_CLASS,
            holder=holder,
            at=SALE_DAY,
            quantity=1,
            usage=usage,
            schemes=schemes,
        )

    quote = once()  # warm-up
    timings = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            once()
        timings.append((time.process_time() - start) / calls * 1e6)
    return statistics.median(timings), quote


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    # A tuple, as a service keeps its catalogue: price() then finds its compiled form by id.
    schemes = tuple(varied_schemes(args.schemes))
    # Some usage in every bucket the holder's quote reads, as after a few months of use.
    usage = {
        key: UsageAmount(tickets=1, discount_cents=1000)
        for key in usage_keys(OFFER, SALE_DAY, schemes)
    }
    for label, holder in (("holder", HOLDER), ("public price list", None)):
        micros, quote = cpu_microseconds_per_call(
            schemes, holder, usage, rounds=args.rounds, calls=args.calls
        )
        print(
            f"price() {label}, {len(schemes)} schemes: {micros:.1f} µs CPU per call "
            f"(median of {args.rounds} rounds × {args.calls} calls; "
            f"{len(quote.tariffs)} tariffs, {len(quote.not_applicable)} not applicable)"
        )


if __name__ == "__main__":
    main()
