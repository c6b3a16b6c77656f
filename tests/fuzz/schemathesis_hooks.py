"""Schemathesis hooks, loaded by `schemathesis.toml` for the CLI and the suite's test alike."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("text/csv", "application/x-ndjson")
def _text_body(_context: Any, value: Any) -> bytes:
    """Bulk imports take text (CSV or JSON lines): send whatever string was generated.

    A value of another type comes only from negative generation (the schema says string)
    and cannot be sent as text: bytes that are not UTF-8 are the body that breaks the rule,
    which the server refuses (422 `import-unreadable`). `str(value)` would send `{}` as a
    perfectly good JSON line."""
    if not isinstance(value, str):
        return b"\xff"
    return value.encode("utf-8", "surrogatepass")
