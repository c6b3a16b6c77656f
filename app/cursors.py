"""Cursors the API hands out: opaque to clients, a little JSON in URL-safe base64 here.

Apart from the API layer because the change feed's cursor is also written into webhook
bodies (app.services.webhooks), which must hand out exactly what `GET /v1/changes?after=`
takes back.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

# A position in the change feed: the writing transaction's id and the event's sequence.
FEED_POSITION_FIELDS: Final = {"t": int, "s": int}


def encode_cursor(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def feed_cursor(txid: int, seq: int) -> str:
    """The cursor of a change-feed event, as `GET /v1/changes` hands it out."""
    return encode_cursor({"t": txid, "s": seq})
