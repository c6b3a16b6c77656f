"""How a request refused for coming too often is answered and counted, whoever refuses it:
the rate limits (app.api.rate_limits) and the staff login's lock (app.services.staff).

Every such refusal is a 429 problem with `Retry-After` and the draft IETF RateLimit fields
as three headers (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, the last in
seconds), and is counted in /metrics as `openpas_rate_limit_refusals_total{limit}`, so one
dashboard shows every limit that bites.
"""

from __future__ import annotations

import math

from prometheus_client import Counter

from app.errors import TooManyRequests
from app.observability import REGISTRY

REFUSALS = Counter(
    "openpas_rate_limit_refusals_total",
    "Requests refused by a rate limit, by limit.",
    ["limit"],
    registry=REGISTRY,
)


def too_many(
    detail: str,
    *,
    limit: str,
    amount: int,
    seconds: float,
    code: str | None = None,
    keeps_work: bool = False,
) -> TooManyRequests:
    """The refusal by `limit` (at most `amount`), which ends in `seconds`; counted here."""
    REFUSALS.labels(limit).inc()
    wait = max(1, math.ceil(seconds))
    return TooManyRequests(
        detail,
        code=code,
        extra={"limit": limit},
        headers={
            "Retry-After": str(wait),
            "RateLimit-Limit": str(amount),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(wait),
        },
        keeps_work=keeps_work,
    )
