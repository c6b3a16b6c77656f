"""Schemathesis hooks, loaded by `schemathesis.toml` for the CLI and the suite's test alike."""

from __future__ import annotations

import json
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


# How pydantic words a refusal of the shape of a value (type, bound, pattern, a missing or
# unknown field): what the document could have said itself. The routes' own refusals of
# what a schema cannot state are worded otherwise ("cursor is not one this API handed out",
# "Value error, price class codes must not repeat", …).
_SHAPE_REFUSALS = (
    "Input should",
    "String should",
    "List should",
    "Tuple should",
    "Dictionary should",
    "Value should",
    "Field required",
    "Extra inputs are not permitted",
    "Decimal input should",
    "Date should",
    "Datetime should",
    "UUID input should",
)


@schemathesis.check
def refusal_is_semantic(ctx: Any, response: Any, case: Any) -> bool | None:
    """`schemathesis.toml` lets some operations answer 422 to schema-valid data, for rules no
    schema can state. Such a 422 must not be one of shape: schema-valid data refused for its
    type, bounds or pattern means the document is looser than the server."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        return None
    for error in problem.get("errors") or []:
        detail = str(error.get("detail", ""))
        if detail.removeprefix("query parameter: ").startswith(_SHAPE_REFUSALS):
            where = error.get("pointer", error.get("parameter", ""))
            raise AssertionError(f"Schema-valid data refused for its shape at {where!r}: {detail}")
    return None
