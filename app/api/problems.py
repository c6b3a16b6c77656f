"""RFC 9457 problem documents for every error, with a sentence a desk can read out.

Every error leaves the API as `application/problem+json` with `type`, `title`, `status`,
`detail`, a stable `code` slug and an `end_user_message` in Dutch, or in French or English
when `Accept-Language` asks. Stack traces never leave the process.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.db.driver import CONNECTION_ERRORS
from app.errors import OpenPasError

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "https://openpas.example/problems/"
Language = Literal["nl", "fr", "en"]
_LANGUAGES: Final[Mapping[str, Language]] = {"nl": "nl", "fr": "fr", "en": "en"}

log = structlog.get_logger("openpas.problems")

# Sentences for the person at the desk or on the website: plain, polite, no jargon.
END_USER_MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "bad-request": {
        "nl": "De aanvraag is niet juist opgesteld.",
        "fr": "La demande n'est pas correctement formulée.",
        "en": "The request is not well formed.",
    },
    "validation-failed": {
        "nl": "Sommige gegevens ontbreken of kloppen niet. Kijk ze na en probeer opnieuw.",
        "fr": "Certaines données manquent ou sont incorrectes. Vérifiez-les et réessayez.",
        "en": "Some details are missing or incorrect. Please check them and try again.",
    },
    "unauthorized": {
        "nl": "Dit toestel is niet aangemeld bij OpenPas. Meld opnieuw aan.",
        "fr": "Cet appareil n'est pas connecté à OpenPas. Reconnectez-vous.",
        "en": "This device is not signed in to OpenPas. Please sign in again.",
    },
    "invalid-client": {
        "nl": "De aanmeldgegevens van dit toestel kloppen niet.",
        "fr": "Les identifiants de cet appareil sont incorrects.",
        "en": "This device's credentials are not correct.",
    },
    "forbidden": {
        "nl": "Je hebt geen toegang tot deze gegevens of handeling.",
        "fr": "Vous n'avez pas accès à ces données ou à cette action.",
        "en": "You do not have access to this data or action.",
    },
    "not-found": {
        "nl": "We vinden dit niet terug.",
        "fr": "Nous ne trouvons pas cet élément.",
        "en": "We cannot find this.",
    },
    "method-not-allowed": {
        "nl": "Deze handeling is hier niet mogelijk.",
        "fr": "Cette action n'est pas possible ici.",
        "en": "This action is not possible here.",
    },
    "conflict": {
        "nl": "Dit kan niet: het botst met gegevens die al bestaan.",
        "fr": "Impossible : cela entre en conflit avec des données existantes.",
        "en": "This is not possible: it conflicts with existing data.",
    },
    "already-exists": {
        "nl": "Dit bestaat al.",
        "fr": "Cela existe déjà.",
        "en": "This already exists.",
    },
    "payload-too-large": {
        "nl": "Het bericht is te groot.",
        "fr": "Le message est trop volumineux.",
        "en": "The message is too large.",
    },
    "unsupported-media-type": {
        "nl": "Dit soort bericht wordt niet aanvaard.",
        "fr": "Ce type de message n'est pas accepté.",
        "en": "This kind of message is not accepted.",
    },
    "schema-not-migrated": {
        "nl": "OpenPas wordt bijgewerkt. Probeer het over enkele minuten opnieuw.",
        "fr": "OpenPas est en cours de mise à jour. Réessayez dans quelques minutes.",
        "en": "OpenPas is being updated. Please try again in a few minutes.",
    },
    "service-unavailable": {
        "nl": "OpenPas is even niet bereikbaar. Probeer het later opnieuw.",
        "fr": "OpenPas n'est pas joignable pour le moment. Réessayez plus tard.",
        "en": "OpenPas is not reachable right now. Please try again later.",
    },
    "database-unavailable": {
        "nl": "OpenPas is heel even niet bereikbaar. Probeer het meteen opnieuw.",
        "fr": "OpenPas est brièvement injoignable. Réessayez tout de suite.",
        "en": "OpenPas could not be reached for a moment. Please try again right away.",
    },
    "internal-error": {
        "nl": "Er ging iets mis bij OpenPas. Probeer het later opnieuw.",
        "fr": "Une erreur s'est produite chez OpenPas. Réessayez plus tard.",
        "en": "Something went wrong at OpenPas. Please try again later.",
    },
}

_FALLBACK_CODE_BY_STATUS: Final[Mapping[int, str]] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    503: "service-unavailable",
}

_TITLES: Final[Mapping[int, str]] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
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
    """The first of nl/fr/en the client prefers (by q-value); Dutch when it names none."""
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


def end_user_message(code: str, status: int, language: str) -> str:
    messages = (
        END_USER_MESSAGES.get(code)
        or END_USER_MESSAGES[_FALLBACK_CODE_BY_STATUS.get(status, "internal-error")]
    )
    return messages[language]


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


def _json_pointer(path: Sequence[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


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
    first = errors[0]["detail"] if errors else "invalid request"
    return problem_response(
        request,
        status=422,
        code="validation-failed",
        detail=f"{len(errors)} invalid field(s): {first}",
        extra={"errors": errors},
    )


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


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    if _lost_database(exc):
        # Connections are not pinged before use (three round trips on every request): a
        # connection that died with a database restart fails once and leaves the pool.
        log.warning("database_unavailable", error_type=type(exc).__name__)
        return problem_response(
            request,
            status=503,
            code="database-unavailable",
            detail="The database could not be reached; try again.",
            headers={"Retry-After": "1"},
        )
    # The trace goes to the server log; the client learns only that it was our fault.
    if isinstance(exc, sa_exc.StatementError):
        # A database error's message quotes the values it choked on ('invalid input
        # syntax: "Desmet…"', 'Key (email)=(…) already exists'): log where and what kind,
        # never the message (the engine hides the statement's parameters for the same reason).
        log.error(
            "unhandled_error",
            error_type=type(exc.orig or exc).__name__,
            sqlstate=getattr(exc.orig, "sqlstate", None),
            stack="".join(traceback.format_tb(exc.__traceback__)),
        )
    else:
        log.error("unhandled_error", error_type=type(exc).__name__, exc_info=exc)
    return problem_response(
        request,
        status=500,
        code="internal-error",
        detail="An unexpected error occurred; it has been logged.",
    )


def _lost_database(exc: Exception) -> bool:
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return isinstance(exc, CONNECTION_ERRORS)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OpenPasError, _openpas_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem documents (the schema is added in main)."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
        }
        for status in statuses
    }
