"""Errors that carry their HTTP meaning.

Services raise these; one handler in `app/api/problems.py` turns each into an RFC 9457
problem document. The `code` is the stable slug clients switch on; the sentences a desk can
read out, in Dutch, French, English and German, are in the message catalogues (app/locale)
under `problem.<code>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class OpenPasError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        keeps_work: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        # A refusal that follows work which must stand (a lapsed hold released on the way,
        # a fresh quote shown and audited): the unit of work commits before answering it.
        self.keeps_work = keeps_work
        if code is not None:
            self.code = code  # type: ignore[misc]  # an instance may narrow its class's code
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def at_item(self, index: int) -> None:
        """Say that this problem is with item `index` of a request's `items`: the index, and
        the field pointers under `/items/{index}`."""
        if "item" not in self.extra:
            self.extra["item"] = index
            self.detail = f"Item {index}: {self.detail}"
        errors = self.extra.get("errors")
        if isinstance(errors, list):
            self.extra["errors"] = [_under_item(error, index) for error in errors]


def _under_item(error: Mapping[str, Any], index: int) -> dict[str, Any]:
    pointer = error.get("pointer")
    if isinstance(pointer, str) and not pointer.startswith("/items/"):
        return {**error, "pointer": f"/items/{index}{pointer}"}
    return dict(error)


class BadRequest(OpenPasError):
    pass


class Unauthorized(OpenPasError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(OpenPasError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(OpenPasError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(OpenPasError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Unprocessable(OpenPasError):
    status = 422
    code = "validation-failed"
    title = "Validation failed"


class ServiceUnavailable(OpenPasError):
    status = 503
    code = "service-unavailable"
    title = "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database could not be reached or the connection broke: the client may retry."""

    code = "database-unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The database could not be reached; try again.", headers={"Retry-After": "1"}
        )


class DatabaseBusy(ServiceUnavailable):
    """A statement waited too long for a lock or ran past its timeout: the database is
    slow or something holds what the request needs; the client may retry shortly."""

    code = "database-busy"

    def __init__(self) -> None:
        super().__init__(
            "The database is busy; the request was stopped rather than left waiting. Try again.",
            headers={"Retry-After": "2"},
        )


class NotAcceptable(OpenPasError):
    """None of the media types the client accepts is one the resource can answer in."""

    status = 406
    code = "not-acceptable"
    title = "Not acceptable"


class TooManyRequests(OpenPasError):
    status = 429
    code = "rate-limited"
    title = "Too many requests"


class UnsupportedMediaType(OpenPasError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class ReadOnlyField(Unprocessable):
    """A field that the server sets (an id, a creation moment) was sent changed: what GET
    answers may be sent back, but only as it was read."""

    code = "read-only-field"

    def __init__(self, field: str) -> None:
        super().__init__(
            f"{field} is read-only: send it as GET answers it, or leave it out.",
            extra={"errors": [{"pointer": f"/{field}", "detail": "read-only"}]},
        )
