"""Shared building blocks of request and response models."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.cursors import encode_cursor as encode_cursor  # the routes page with it
from app.domain.validation import CALENDAR, in_calendar
from app.errors import NotFound, Unprocessable


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        for field in schema.get("properties", {}).values():
            _no_blank_string(field)
        return schema


# Strings are stripped before their length is checked: "  " is refused where a length of 1
# is the least, so the document refuses a blank string too.
_BLANK = {"pattern": r"^\s*$"}


def _no_blank_string(node: dict[str, Any]) -> None:
    for option in node.get("anyOf", []):
        _no_blank_string(option)
    if isinstance(node.get("items"), dict):
        _no_blank_string(node["items"])
    if node.get("type") == "string" and node.get("minLength", 0) >= 1 and "format" not in node:
        node["not"] = _BLANK


def _iso_date_only(value: object) -> object:
    # Pydantic would read 0 or "0.5" as a Unix timestamp; a date here is "YYYY-MM-DD".
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a date is written YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _within_calendar(value: date) -> date:
    if not in_calendar(value):
        raise ValueError(f"give {CALENDAR}")
    return value


def _moment_within_calendar(value: datetime) -> datetime:
    # The date as written: converting a moment near year 1 to UTC would itself overflow.
    _within_calendar(value.date())
    return value


# The calendar's years (1900..2999) in the words of JSON Schema, so that the document
# refuses what the server refuses: `format` alone would allow 0001-01-01 or 9999-12-31.
CALENDAR_DATE_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-"

# A date within the calendar (app.domain.validation.in_calendar).
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date_only),
    AfterValidator(_within_calendar),
    Field(json_schema_extra={"pattern": CALENDAR_DATE_PATTERN}),
]


def require_to_after_from(from_date: date, to_date: date) -> None:
    """The query parameters `from` (included) and `to` (excluded) name at least one day."""
    if to_date <= from_date:
        raise Unprocessable(
            "to must come after from.",
            extra={"errors": [{"parameter": "to", "detail": "must be after from"}]},
        )


def _moment_text_only(value: object) -> object:
    # Pydantic would read 0 as a Unix timestamp (1970-01-01); the schema says a string.
    if not isinstance(value, str | datetime):
        raise ValueError("a moment is written as an ISO 8601 date-time with its UTC offset")
    return value


# A moment with its UTC offset, within the same calendar.
Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_moment_text_only),
    AfterValidator(_moment_within_calendar),
    Field(json_schema_extra={"pattern": CALENDAR_DATE_PATTERN}),
]

# The ids the API hands out are UUIDs: the document says so, and a body field or query
# parameter of this type is still parsed by `parse_reference`, which answers its own problem
# (422 naming the field) for anything else.
ID_SCHEMA: dict[str, Any] = {"format": "uuid"}
IdText = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)]


def one_of_required(*groups: tuple[str, ...]) -> dict[str, Any]:
    """A model's JSON Schema for "exactly one group of fields is given (not null), and the
    fields of the other groups are absent or null", as its validator checks.

    Written as `if`/`then`/`else` rather than `oneOf`: a generator of typed clients reads a
    top-level `oneOf` as a union of types and would lose the model itself."""
    *firsts, last = groups
    names = [name for group in groups for name in group]
    schema: dict[str, Any] = _given(last, others=[name for name in names if name not in last])
    for group in reversed(firsts):
        schema = {
            "if": _given(group),
            "then": _given(group, others=[name for name in names if name not in group]),
            "else": schema,
        }
    return schema


def not_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """A model's `json_schema_extra` for the optional fields of a PATCH that may be left out
    but not sent as null (the route answers "cannot be removed"): the document drops their
    `null` option. The model keeps `None` as "not sent", so the route's answer stays."""

    def drop_null(schema: dict[str, Any]) -> None:
        for name in names:
            field = schema["properties"][name]
            options = [o for o in field.pop("anyOf", []) if o.get("type") != "null"]
            if len(options) == 1:
                field.update(options[0])
            elif options:
                field["anyOf"] = options

    return drop_null


def _given(fields: tuple[str, ...], others: list[str] | None = None) -> dict[str, Any]:
    return {
        "required": list(fields),
        "properties": {
            **{name: {"type": "null"} for name in others or []},
            **{name: {"not": {"type": "null"}} for name in fields},
        },
    }


def _integral_number(value: object) -> object:
    # JSON Schema's integer is any number without a fraction: 7.0 is the integer 7, as
    # the OpenAPI document promises. (Strict still refuses 7.5, "7" and true.)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# FastAPI validates bodies in Python mode, where pydantic would read `false` or "3" as a
# number; numbers in bodies use this strict integer instead.
StrictInt = Annotated[int, BeforeValidator(_integral_number), Strict()]


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Human text: no control characters, bounded.
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]

ItemT = TypeVar("ItemT")

MAX_PAGE_SIZE = 500


class Page(ResponseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


def decode_cursor(
    cursor: str | None, fields: Mapping[str, type], *, parameter: str = "cursor"
) -> dict[str, Any] | None:
    """A cursor this API handed out, with `fields` of their types; else 422 naming
    `parameter`. A cursor of another shape is refused, never read as "from the start"
    (a client would page through the same first page for ever)."""
    if cursor is None:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(name), kind) and not isinstance(value.get(name), bool)
        for name, kind in fields.items()
    ):
        raise invalid_cursor(parameter)
    return value


def invalid_cursor(parameter: str = "cursor") -> Unprocessable:
    return Unprocessable(
        "cursor is not one this API handed out",
        extra={"errors": [{"parameter": parameter, "detail": "invalid cursor"}]},
    )


def parse_id(value: str, what: str) -> uuid.UUID:
    """Ids in a path are opaque to clients; one that cannot be ours simply does not exist."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} with id {value[:64]!r}.") from None


def parse_reference(value: str, *, parameter: str | None = None, pointer: str | None = None) -> str:
    """An id given as a query parameter or body field: malformed is a validation error."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        where = {"parameter": parameter} if parameter else {"pointer": pointer or ""}
        raise Unprocessable(
            f"{parameter or pointer}: not an id this API handed out",
            extra={"errors": [{**where, "detail": "not a valid id"}]},
        ) from None
