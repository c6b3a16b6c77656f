"""Round trips: what GET answers may be sent back to PUT or PATCH with one field edited.

A write model names the read-only fields of its resource (`ReadOnly`): sent back as they
were read they are accepted and ignored; sent changed they are refused with 422
`read-only-field`, never silently dropped (a client that believes it moved a partner to
another region must learn that it did not).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.errors import ReadOnlyField

ReadOnly = Annotated[
    Any,
    Field(
        default=None,
        description="Read-only: accepted when sent as GET answers it, refused when changed",
        # OpenAPI's word for it: a client need not send it (a changed value is refused).
        json_schema_extra={"readOnly": True},
    ),
]


def check_read_only(body: BaseModel, current: BaseModel, fields: Iterable[str]) -> None:
    """Raise 422 `read-only-field` for the first of `fields` that `body` sent and that
    differs from `current` (the resource as GET answers it now)."""
    answered = current.model_dump(mode="json")
    for name in fields:
        if name in body.model_fields_set and not same(getattr(body, name), answered.get(name)):
            raise ReadOnlyField(name)


def same(sent: Any, answered: Any) -> bool:
    """JSON values alike, moments compared as moments (`…Z` and `…+00:00` are one)."""
    if isinstance(sent, dict) and isinstance(answered, dict):
        return sent.keys() == answered.keys() and all(
            same(value, answered[key]) for key, value in sent.items()
        )
    if isinstance(sent, list) and isinstance(answered, list):
        return len(sent) == len(answered) and all(
            same(a, b) for a, b in zip(sent, answered, strict=True)
        )
    if isinstance(sent, str) and isinstance(answered, str) and sent != answered:
        return _moment(sent) is not None and _moment(sent) == _moment(answered)
    if isinstance(sent, bool) or isinstance(answered, bool):
        return sent is answered
    return bool(sent == answered)


def _moment(text: str) -> datetime | None:
    if len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
