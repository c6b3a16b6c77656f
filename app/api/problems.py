"""RFC 9457 problem documents for every error, with a sentence a desk can read out.

Every error leaves the API as `application/problem+json` with `type`, `title`, `status`,
`detail`, a stable `code` slug and an `end_user_message` in Dutch, or in French, English
or German when `Accept-Language` asks (the sentences are in the message catalogues,
app/locale). Stack traces never leave the process.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.db.driver import connection_lost, database_busy, database_unavailable
from app.domain.localized import LANGUAGES, Lang
from app.domain.messages import N_
from app.errors import DatabaseBusy, DatabaseUnavailable, OpenPasError
from app.i18n import translate

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "https://openpas.example/problems/"
# The languages OpenPas answers in (the domain's, for its texts).
Language = Lang
_LANGUAGES: Final[Mapping[str, Language]] = {lang: lang for lang in LANGUAGES}

log = structlog.get_logger("openpas.problems")

# The sentence for the person at the desk or on the website, per code: plain, polite, no
# jargon. The sentences are in the catalogues (app/locale), under `problem.<code>`; each code
# is named here so that `pybabel extract` finds its key and a code without one is a KeyError
# in the tests, not a blank at the desk.
END_USER_MESSAGES: Final[Mapping[str, str]] = {
    "bad-request": N_("problem.bad-request"),
    "validation-failed": N_("problem.validation-failed"),
    "unauthorized": N_("problem.unauthorized"),
    "invalid-client": N_("problem.invalid-client"),
    "forbidden": N_("problem.forbidden"),
    "not-found": N_("problem.not-found"),
    "method-not-allowed": N_("problem.method-not-allowed"),
    "not-acceptable": N_("problem.not-acceptable"),
    "conflict": N_("problem.conflict"),
    "already-exists": N_("problem.already-exists"),
    "payload-too-large": N_("problem.payload-too-large"),
    "unsupported-media-type": N_("problem.unsupported-media-type"),
    "schema-not-migrated": N_("problem.schema-not-migrated"),
    "service-unavailable": N_("problem.service-unavailable"),
    "database-unavailable": N_("problem.database-unavailable"),
    "database-busy": N_("problem.database-busy"),
    "rate-limited": N_("problem.rate-limited"),
    "card-not-found": N_("problem.card-not-found"),
    "invalid-card-number": N_("problem.invalid-card-number"),
    "card-blocked": N_("problem.card-blocked"),
    "card-replaced": N_("problem.card-replaced"),
    "card-not-active": N_("problem.card-not-active"),
    "offer-not-found": N_("problem.offer-not-found"),
    "offer-archived": N_("problem.offer-archived"),
    "partner-archived": N_("problem.partner-archived"),
    "region-archived": N_("problem.region-archived"),
    "read-only-field": N_("problem.read-only-field"),
    "unknown-price-class": N_("problem.unknown-price-class"),
    "open-price-needs-region": N_("problem.open-price-needs-region"),
    "regular-price-required": N_("problem.regular-price-required"),
    "regular-price-not-allowed": N_("problem.regular-price-not-allowed"),
    "regular-price-above-maximum": N_("problem.regular-price-above-maximum"),
    "limit-reached": N_("problem.limit-reached"),
    "too-many-companions": N_("problem.too-many-companions"),
    "budget-exhausted": N_("problem.budget-exhausted"),
    "allocation-exhausted": N_("problem.allocation-exhausted"),
    "group-too-large": N_("problem.group-too-large"),
    "ticket-request-not-open": N_("problem.ticket-request-not-open"),
    "ticket-request-not-found": N_("problem.ticket-request-not-found"),
    "no-tariff": N_("problem.no-tariff"),
    "webhook-url-refused": N_("problem.webhook-url-refused"),
    "webhook-events-refused": N_("problem.webhook-events-refused"),
    "allocation-budget-exhausted": N_("problem.allocation-budget-exhausted"),
    "voucher-not-found": N_("problem.voucher-not-found"),
    "voucher-revoked": N_("problem.voucher-revoked"),
    "voucher-expired": N_("problem.voucher-expired"),
    "voucher-used-up": N_("problem.voucher-used-up"),
    "voucher-not-valid-here": N_("problem.voucher-not-valid-here"),
    "price-changed": N_("problem.price-changed"),
    "hold-expired": N_("problem.hold-expired"),
    "sale-not-held": N_("problem.sale-not-held"),
    "sale-not-active": N_("problem.sale-not-active"),
    "cancellation-window-passed": N_("problem.cancellation-window-passed"),
    "request-in-progress": N_("problem.request-in-progress"),
    "idempotency-key-missing": N_("problem.idempotency-key-missing"),
    "idempotency-key-reused": N_("problem.idempotency-key-reused"),
    "passholder-exists": N_("problem.passholder-exists"),
    "passholder-exists-elsewhere": N_("problem.passholder-exists-elsewhere"),
    "move-required": N_("problem.move-required"),
    "not-a-move": N_("problem.not-a-move"),
    "entitlement-exists": N_("problem.entitlement-exists"),
    "entitlement-ended": N_("problem.entitlement-ended"),
    "card-already-active": N_("problem.card-already-active"),
    "municipality-ambiguous": N_("problem.municipality-ambiguous"),
    "municipality-taken": N_("problem.municipality-taken"),
    "not-in-a-pass-region": N_("problem.not-in-a-pass-region"),
    "import-too-large": N_("problem.import-too-large"),
    "import-unreadable": N_("problem.import-unreadable"),
    "invalid-scheme": N_("problem.invalid-scheme"),
    "scheme-version-conflict": N_("problem.scheme-version-conflict"),
    "invalid-token": N_("problem.invalid-token"),
    "token-expired": N_("problem.token-expired"),
    "invalid-token-request": N_("problem.invalid-token-request"),
    "unsupported-grant-type": N_("problem.unsupported-grant-type"),
    # Staff accounts (the web desk and the dashboard).
    "login-failed": N_("problem.login-failed"),
    "login-locked": N_("problem.login-locked"),
    "activation-invalid": N_("problem.activation-invalid"),
    "password-too-short": N_("problem.password-too-short"),
    "password-too-long": N_("problem.password-too-long"),
    "password-common": N_("problem.password-common"),
    "password-names-the-account": N_("problem.password-names-the-account"),
    "csrf-failed": N_("problem.csrf-failed"),
    "internal-error": N_("problem.internal-error"),
}

_FALLBACK_CODE_BY_STATUS: Final[Mapping[int, str]] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    503: "service-unavailable",
}

# The `title` stays English in every language, like `detail`: it is the developer's short
# name of the problem type (RFC 9457 lets it be localised, but logs, client code and the
# OpenAPI document match on it); the person at the desk reads `end_user_message`.
_TITLES: Final[Mapping[int, str]] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class FieldError(BaseModel):
    detail: str
    pointer: str | None = Field(default=None, description="JSON pointer into the body")
    parameter: str | None = Field(default=None, description="query, path or header name")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    end_user_message: str
    errors: list[FieldError] | None = None


def negotiate_language(accept_language: str | None) -> Language:
    """The first of nl/fr/en/de the client prefers (by q-value); Dutch when it names none.
    German is there for Belgium's German-speaking Community (`de-BE`, `de`)."""
    if not accept_language:
        return "nl"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.split("-")[0].strip().lower()))
    for negative_quality, _, language in sorted(ranked):
        if negative_quality < 0 and language in _LANGUAGES:
            return _LANGUAGES[language]
    return "nl"


def end_user_message(code: str, status: int, language: Language) -> str:
    """The sentence of `code`, or of its status's generic code when it has none."""
    key = (
        END_USER_MESSAGES.get(code)
        or END_USER_MESSAGES[_FALLBACK_CODE_BY_STATUS.get(status, "internal-error")]
    )
    return translate(key, language)


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    language = negotiate_language(request.headers.get("accept-language"))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "end_user_message": end_user_message(code, status, language),
    }
    if extra:
        body.update(extra)
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Content-Language": language, **(headers or {})},
    )


# An unknown field's name is the client's input: a pointer quotes at most this much of it.
_SEGMENT_LENGTH = 64


def _json_pointer(path: Sequence[str | int]) -> str:
    return "".join(
        "/" + str(p)[:_SEGMENT_LENGTH].replace("~", "~0").replace("/", "~1") for p in path
    )


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Pydantic errors as pointers and messages — never echoing the rejected input."""
    result: list[dict[str, str]] = []
    for error in errors[:50]:
        location = list(error.get("loc", ()))
        message = str(error.get("msg", "invalid value"))
        if not location:
            result.append({"detail": message})
            continue
        where, path = location[0], location[1:]
        if where == "body":
            if error.get("type") == "json_invalid":
                result.append({"pointer": "", "detail": "the body is not valid JSON"})
                continue
            result.append({"pointer": _json_pointer(path), "detail": message})
        else:
            name = ".".join(str(p) for p in path) or str(where)
            result.append({"parameter": name, "detail": f"{where} parameter: {message}"})
    return result


async def _openpas_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OpenPasError)
    if exc.status >= 500:
        # Ours or the database's, not the client's: worth a line in the log (the kind of
        # what caused it, never a message).
        cause = exc.__cause__
        log.warning(
            "server_problem",
            code=exc.code,
            cause_type=None if cause is None else type(cause).__name__,
        )
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        extra=exc.extra,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    return problem_response(
        request,
        status=422,
        code="validation-failed",
        detail=_summary(errors),
        extra={"errors": errors},
    )


def _summary(errors: Sequence[Mapping[str, str]]) -> str:
    """The first error with where it is, so a log line or a developer's console says what
    to fix: `items/0/card_number: Field required (and 1 more)`."""
    if not errors:
        return "Invalid request."
    first = errors[0]
    place = first.get("pointer", "").lstrip("/") or first.get("parameter") or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{place}: {first['detail']}{more}"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _FALLBACK_CODE_BY_STATUS.get(exc.status_code, "bad-request")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first route on this path; list them all (RFC 9110).
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(
        request, status=exc.status_code, code=code, detail=detail, headers=headers
    )


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_PARAMETER = re.compile(r"(\{[^/}]+\})")


def _allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at this path: of the documented path that matches it
    with the fewest parameters (`/v1/passholders/search`, not `/v1/passholders/{id}`), as
    the schema a client reads says; else of any route that takes the path."""
    path = request.scope["path"]
    documented: list[tuple[int, list[str]]] = []
    for template, operations in request.app.openapi().get("paths", {}).items():
        parts = _PARAMETER.split(template)
        pattern = "".join("[^/]+" if _PARAMETER.fullmatch(p) else re.escape(p) for p in parts)
        if re.fullmatch(pattern, path):
            methods = sorted(name.upper() for name in operations if name.upper() in _METHODS)
            documented.append((template.count("{"), methods))
    if documented:
        return min(documented)[1]
    # Asked of each route for each method through `matches` alone: FastAPI keeps included
    # routers as routes of their own, whose `methods` say nothing about the routes inside.
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an exception nothing else handled: 503 for a lost database, else 500;
    logged without the exception's message where that may quote personal data."""
    if _lost_database(exc):
        # Connections are not pinged before use (three round trips on every request): a
        # connection that died with a database restart fails once and leaves the pool.
        problem: OpenPasError = DatabaseUnavailable()
        problem.__cause__ = exc
        return await _openpas_error(request, problem)
    if database_busy(exc):
        problem = DatabaseBusy()
        problem.__cause__ = exc
        return await _openpas_error(request, problem)
    # The trace goes to the server log; the client learns only that it was our fault. Never
    # the message: a database error's quotes the values it choked on ('invalid input
    # syntax: "Desmet…"', 'Key (email)=(…) already exists'), a validation error's the input
    # it refused — names, birth dates. Where and what kind is enough to find the bug (the
    # engine hides the statement's parameters for the same reason).
    cause = exc.orig if isinstance(exc, sa_exc.StatementError) and exc.orig else exc
    log.error(
        "unhandled_error",
        error_type=type(cause).__name__,
        sqlstate=getattr(cause, "sqlstate", None),
        stack="".join(traceback.format_tb(exc.__traceback__)),
    )
    return problem_response(
        request,
        status=500,
        code="internal-error",
        detail="An unexpected error occurred; it has been logged.",
    )


def _lost_database(exc: Exception) -> bool:
    if isinstance(exc, sa_exc.TimeoutError):
        # No connection free in the pool within its timeout (OPENPAS_DB_POOL_TIMEOUT_SECONDS):
        # the database is slow or every connection is stuck; a quick 503, not a 500 at 30 s.
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return (
            exc.connection_invalidated
            or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
            or database_unavailable(exc)
        )
    return connection_lost(exc)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OpenPasError, _openpas_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Anything else ends in RequestContextMiddleware, which answers with unexpected_error.


# What any operation of a status may answer besides its own codes, for the document.
GENERIC_CODES: Final[Mapping[int, tuple[str, ...]]] = {
    400: ("bad-request",),
    403: ("forbidden",),
    404: ("not-found",),
    409: ("conflict",),
    413: ("payload-too-large",),
    415: ("unsupported-media-type",),
    422: ("validation-failed",),
    429: ("rate-limited",),
    500: ("internal-error",),
    503: ("schema-not-migrated", "database-unavailable", "database-busy", "service-unavailable"),
}
# The 401s of a call with a bearer token (the token endpoint has its own).
BEARER_CODES: Final = ("unauthorized", "invalid-token", "token-expired")


def problem_responses(
    *statuses: int,
    codes: Mapping[int, Sequence[str]] | None = None,
    schema: Mapping[int, str] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem documents, with an example of each problem
    `code` the operation may answer under its status (the generic codes of each status are
    added in main). `schema` names another component than Problem for a status, for a
    problem that carries more (a sale's `price-changed` carries the fresh quote)."""
    codes = codes or {}
    schema = schema or {}
    return {
        status: {
            "description": _TITLES.get(status, "Error"),
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/" + schema.get(status, "Problem")},
                    "examples": problem_examples(status, codes.get(status, ())),
                }
            },
        }
        for status in sorted({*statuses, *codes})
    }


def problem_examples(status: int, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """An example problem document for each code, named by the code."""
    return {code: {"summary": code, "value": example_problem(status, code)} for code in codes}


def example_problem(status: int, code: str) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": end_user_message(code, status, "en"),
        "code": code,
        "end_user_message": end_user_message(code, status, "nl"),
    }


def documented_codes(response: Mapping[str, Any]) -> set[str]:
    """The problem codes an OpenAPI response documents (its examples' names)."""
    media = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {})
    return set(media.get("examples", {}))


def document_generic_codes(response: dict[str, Any], status: int, *, bearer: bool) -> None:
    """Add the codes any operation answering `status` may give to its problem response."""
    media = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
    if media is None:
        return
    generic = GENERIC_CODES.get(status, ())
    if status == 401 and bearer:
        generic = BEARER_CODES
    examples = media.setdefault("examples", {})
    for code, example in problem_examples(status, generic).items():
        examples.setdefault(code, example)
    if examples:
        response["description"] = f"{_TITLES.get(status, 'Error')}: " + ", ".join(
            f"`{code}`" for code in examples
        )
