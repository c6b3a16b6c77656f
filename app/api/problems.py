"""RFC 9457 problem documents for every error, with a sentence a desk can read out.

Every error leaves the API as `application/problem+json` with `type`, `title`, `status`,
`detail`, a stable `code` slug and an `end_user_message` in Dutch, or in French or English
when `Accept-Language` asks. Stack traces never leave the process.
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
from app.domain.localized import Lang
from app.errors import DatabaseBusy, DatabaseUnavailable, OpenPasError

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "https://openpas.example/problems/"
# The languages OpenPas answers in (the domain's, for its texts).
Language = Lang
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
    "not-acceptable": {
        "nl": "Dit bestand kan niet in het gevraagde formaat gemaakt worden.",
        "fr": "Ce fichier ne peut pas être fourni dans le format demandé.",
        "en": "This file cannot be made in the format asked for.",
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
    "database-busy": {
        "nl": "OpenPas is even erg druk. Probeer het over enkele seconden opnieuw.",
        "fr": "OpenPas est très sollicité. Réessayez dans quelques secondes.",
        "en": "OpenPas is very busy right now. Please try again in a few seconds.",
    },
    "rate-limited": {
        "nl": "Er kwamen te veel aanvragen na elkaar. Wacht even en probeer opnieuw.",
        "fr": "Trop de demandes d'affilée. Patientez un instant et réessayez.",
        "en": "Too many requests in a row. Please wait a moment and try again.",
    },
    "card-not-found": {
        "nl": "Deze kaart kennen we niet. Kijk het kaartnummer na.",
        "fr": "Nous ne connaissons pas cette carte. Vérifiez le numéro.",
        "en": "We do not know this card. Please check the card number.",
    },
    "invalid-card-number": {
        "nl": "Dit kaartnummer klopt niet. Kijk het na en typ het opnieuw.",
        "fr": "Ce numéro de carte est incorrect. Vérifiez-le et retapez-le.",
        "en": "This card number is not valid. Please check it and type it again.",
    },
    "card-blocked": {
        "nl": "Deze kaart is geblokkeerd. De kaarthouder kan een nieuwe kaart aanvragen.",
        "fr": "Cette carte est bloquée. Le titulaire peut demander une nouvelle carte.",
        "en": "This card is blocked. The holder can ask for a new card.",
    },
    "card-replaced": {
        "nl": "Deze kaart is vervangen door een nieuwe. Gebruik de nieuwe kaart.",
        "fr": "Cette carte a été remplacée. Utilisez la nouvelle carte.",
        "en": "This card was replaced by a new one. Please use the new card.",
    },
    "card-not-active": {
        "nl": "Deze kaart is niet actief.",
        "fr": "Cette carte n'est pas active.",
        "en": "This card is not active.",
    },
    "offer-not-found": {
        "nl": "Dit aanbod vinden we niet terug.",
        "fr": "Nous ne trouvons pas cette offre.",
        "en": "We cannot find this offer.",
    },
    "offer-archived": {
        "nl": "Dit aanbod is stopgezet. Tickets zijn er niet meer voor te krijgen.",
        "fr": "Cette offre a été arrêtée. Elle n'est plus en vente.",
        "en": "This offer has been withdrawn. It can no longer be sold.",
    },
    "partner-archived": {
        "nl": "Deze organisator werkt niet meer met de pas. Er wordt niets meer verkocht.",
        "fr": "Ce partenaire ne participe plus à la carte. Plus rien n'y est vendu.",
        "en": "This partner no longer takes part in the pass. Nothing is sold here any more.",
    },
    "region-archived": {
        "nl": "Deze regio is stopgezet. Hier kan niets meer bij.",
        "fr": "Cette région a été arrêtée. Plus rien ne peut y être ajouté.",
        "en": "This region has been closed. Nothing more can be added to it.",
    },
    "read-only-field": {
        "nl": "Sommige gegevens kunnen niet gewijzigd worden. Laad ze opnieuw en probeer nog eens.",
        "fr": "Certaines données ne peuvent pas être modifiées. Rechargez-les et réessayez.",
        "en": "Some details cannot be changed. Please reload them and try again.",
    },
    "unknown-price-class": {
        "nl": "Deze prijscategorie bestaat niet voor dit aanbod.",
        "fr": "Cette catégorie de prix n'existe pas pour cette offre.",
        "en": "This price category does not exist for this offer.",
    },
    "limit-reached": {
        "nl": "Met deze kaart zijn alle tickets aan dit tarief al gebruikt.",
        "fr": "Tous les tickets à ce tarif ont déjà été utilisés avec cette carte.",
        "en": "All tickets at this rate have already been used with this card.",
    },
    "too-many-companions": {
        "nl": "Aan dit tarief mogen niet zoveel begeleiders mee.",
        "fr": "Ce tarif n'admet pas autant d'accompagnateurs.",
        "en": "This rate does not admit that many companions.",
    },
    "budget-exhausted": {
        "nl": "Het kortingsbudget van deze kaart is op voor dit tarief.",
        "fr": "Le budget de réduction de cette carte est épuisé pour ce tarif.",
        "en": "This card's discount budget for this rate is used up.",
    },
    "webhook-url-refused": {
        "nl": "OpenPas stuurt geen meldingen naar dit adres. Gebruik een publiek https-adres.",
        "fr": (
            "OpenPas n'envoie pas de notifications à cette adresse."
            " Utilisez une adresse https publique."
        ),
        "en": "OpenPas does not send notifications to this address. Use a public https address.",
    },
    "webhook-events-refused": {
        "nl": "Je kunt je niet abonneren op deze gebeurtenissen.",
        "fr": "Vous ne pouvez pas vous abonner à ces événements.",
        "en": "You cannot subscribe to these events.",
    },
    "allocation-exhausted": {
        "nl": "Het quotum van deze organisatie heeft niet genoeg tickets meer voor deze bon.",
        "fr": "Le quota de cette organisation n'a plus assez de tickets pour ce bon.",
        "en": "This organisation's quota has too few tickets left for this voucher.",
    },
    "allocation-budget-exhausted": {
        "nl": "Het budget achter deze ticketbon is op. De organisatie kan een nieuwe bon geven.",
        "fr": "Le budget de ce bon est épuisé. L'organisation peut en fournir un nouveau.",
        "en": "The budget behind this voucher is used up. The organisation can give a new one.",
    },
    "voucher-not-found": {
        "nl": "Deze ticketbon is niet gekend. Kijk de code na.",
        "fr": "Ce bon n'est pas connu. Vérifiez le code.",
        "en": "This voucher is not known. Please check the code.",
    },
    "voucher-revoked": {
        "nl": "Deze ticketbon is ingetrokken en kan niet meer gebruikt worden.",
        "fr": "Ce bon a été annulé et ne peut plus être utilisé.",
        "en": "This voucher was withdrawn and can no longer be used.",
    },
    "voucher-expired": {
        "nl": "Deze ticketbon is niet meer geldig. De organisatie kan een nieuwe bon geven.",
        "fr": "Ce bon n'est plus valable. L'organisation peut en fournir un nouveau.",
        "en": "This voucher is no longer valid. The organisation can give a new one.",
    },
    "voucher-used-up": {
        "nl": "Met deze ticketbon zijn niet zoveel tickets meer te krijgen.",
        "fr": "Ce bon ne donne plus droit à autant de tickets.",
        "en": "This voucher does not cover that many tickets any more.",
    },
    "voucher-not-valid-here": {
        "nl": "Deze ticketbon geldt niet voor deze activiteit.",
        "fr": "Ce bon n'est pas valable pour cette activité.",
        "en": "This voucher is not valid for this activity.",
    },
    "price-changed": {
        "nl": "De prijs is intussen gewijzigd. Bekijk de nieuwe prijs en verkoop opnieuw.",
        "fr": "Le prix a changé entre-temps. Consultez le nouveau prix et vendez à nouveau.",
        "en": "The price has changed in the meantime. Check the new price and sell again.",
    },
    "hold-expired": {
        "nl": "De reservering is verlopen. Maak een nieuwe verkoop.",
        "fr": "La réservation a expiré. Faites une nouvelle vente.",
        "en": "The reservation has expired. Please make a new sale.",
    },
    "sale-not-held": {
        "nl": "Deze verkoop is geen reservering meer.",
        "fr": "Cette vente n'est plus une réservation.",
        "en": "This sale is no longer a reservation.",
    },
    "sale-not-active": {
        "nl": "Deze verkoop is al geannuleerd of verlopen.",
        "fr": "Cette vente est déjà annulée ou expirée.",
        "en": "This sale has already been cancelled or has expired.",
    },
    "cancellation-window-passed": {
        "nl": "Deze verkoop kan niet meer geannuleerd worden.",
        "fr": "Cette vente ne peut plus être annulée.",
        "en": "This sale can no longer be cancelled.",
    },
    "request-in-progress": {
        "nl": "Deze verkoop wordt nog verwerkt. Wacht even en probeer opnieuw.",
        "fr": "Cette vente est encore en cours de traitement. Attendez un instant et réessayez.",
        "en": "This sale is still being processed. Wait a moment and try again.",
    },
    "idempotency-key-missing": {
        "nl": "De kassa stuurde de verkoop onvolledig door. Verwittig je technische dienst.",
        "fr": "La caisse a envoyé la vente incomplète. Prévenez votre service technique.",
        "en": "The till sent the sale incompletely. Please tell your technical support.",
    },
    "idempotency-key-reused": {
        "nl": "De kassa hergebruikte een verkoopsleutel. Verwittig je technische dienst.",
        "fr": "La caisse a réutilisé une clé de vente. Prévenez votre service technique.",
        "en": "The till reused a sale key. Please tell your technical support.",
    },
    "passholder-exists": {
        "nl": "Deze persoon is al geregistreerd.",
        "fr": "Cette personne est déjà enregistrée.",
        "en": "This person is already registered.",
    },
    "passholder-exists-elsewhere": {
        "nl": "Al geregistreerd in een andere regio; die regio kan een verhuis registreren.",
        "fr": "Déjà enregistrée dans une autre région, qui peut enregistrer un déménagement.",
        "en": "This person is already registered in another region. That region can record a move.",
    },
    "move-required": {
        "nl": "Dit adres ligt in een andere regio. Registreer een verhuis.",
        "fr": "Cette adresse est dans une autre région. Enregistrez un déménagement.",
        "en": "This address lies in another region. Please record a move.",
    },
    "not-a-move": {
        "nl": "Dit adres ligt in dezelfde regio. Pas het adres gewoon aan.",
        "fr": "Cette adresse est dans la même région. Corrigez simplement l'adresse.",
        "en": "This address lies in the same region. Just correct the address.",
    },
    "entitlement-exists": {
        "nl": "Dit statuut is al geregistreerd voor deze periode.",
        "fr": "Ce statut est déjà enregistré pour cette période.",
        "en": "This status is already registered for this period.",
    },
    "entitlement-ended": {
        "nl": "Dit statuut is al beëindigd.",
        "fr": "Ce statut a déjà pris fin.",
        "en": "This status has already ended.",
    },
    "card-already-active": {
        "nl": "Deze persoon heeft al een actieve kaart in deze regio.",
        "fr": "Cette personne a déjà une carte active dans cette région.",
        "en": "This person already has an active card in this region.",
    },
    "municipality-ambiguous": {
        "nl": "Deze postcode hoort bij meerdere gemeenten. Kies de gemeente.",
        "fr": "Ce code postal couvre plusieurs communes. Choisissez la commune.",
        "en": "This postal code covers several municipalities. Please choose the municipality.",
    },
    "municipality-taken": {
        "nl": "Deze gemeente hoort al bij een andere regio.",
        "fr": "Cette commune fait déjà partie d'une autre région.",
        "en": "This municipality already belongs to another region.",
    },
    "not-in-a-pass-region": {
        "nl": "Deze gemeente hoort niet bij een regio met een pas.",
        "fr": "Cette commune ne fait pas partie d'une région avec une carte.",
        "en": "This municipality is not part of a region with a pass.",
    },
    "import-too-large": {
        "nl": "Deze lijst is te groot. Splits ze op en laad de delen apart op.",
        "fr": "Cette liste est trop volumineuse. Divisez-la et chargez les parties séparément.",
        "en": "This list is too large. Split it and upload the parts separately.",
    },
    "import-unreadable": {
        "nl": "Deze lijst kunnen we niet lezen. Gebruik CSV of JSON-regels.",
        "fr": "Nous ne pouvons pas lire cette liste. Utilisez CSV ou des lignes JSON.",
        "en": "We cannot read this list. Please use CSV or JSON lines.",
    },
    "invalid-scheme": {
        "nl": "Deze regeling is niet juist beschreven. Bekijk de fouten.",
        "fr": "Ce dispositif n'est pas décrit correctement. Consultez les erreurs.",
        "en": "This scheme is not described correctly. Please check the errors.",
    },
    "scheme-version-conflict": {
        "nl": "Iemand anders wijzigde deze regeling intussen. Laad ze opnieuw.",
        "fr": "Quelqu'un d'autre a modifié ce dispositif entre-temps. Rechargez-le.",
        "en": "Someone else changed this scheme in the meantime. Please reload it.",
    },
    "invalid-token": {
        "nl": "Dit toestel is niet (meer) aangemeld bij OpenPas. Meld opnieuw aan.",
        "fr": "Cet appareil n'est pas (ou plus) connecté à OpenPas. Reconnectez-vous.",
        "en": "This device is not (or no longer) signed in to OpenPas. Please sign in again.",
    },
    "token-expired": {
        "nl": "De aanmelding van dit toestel is verlopen. Meld opnieuw aan.",
        "fr": "La connexion de cet appareil a expiré. Reconnectez-vous.",
        "en": "This device's sign-in has expired. Please sign in again.",
    },
    "invalid-token-request": {
        "nl": "Dit toestel meldt zich op een verkeerde manier aan.",
        "fr": "Cet appareil se connecte d'une mauvaise manière.",
        "en": "This device signs in the wrong way.",
    },
    "unsupported-grant-type": {
        "nl": "Dit toestel meldt zich op een verkeerde manier aan.",
        "fr": "Cet appareil se connecte d'une mauvaise manière.",
        "en": "This device signs in the wrong way.",
    },
    # Staff accounts (the web desk and the dashboard).
    "login-failed": {
        "nl": "Dit e-mailadres of wachtwoord klopt niet.",
        "fr": "Cette adresse e-mail ou ce mot de passe est incorrect.",
        "en": "This e-mail address or password is not correct.",
    },
    "login-locked": {
        "nl": "Te veel mislukte pogingen. Wacht een kwartier en probeer opnieuw.",
        "fr": "Trop de tentatives échouées. Attendez un quart d'heure et réessayez.",
        "en": "Too many failed attempts. Wait a quarter of an hour and try again.",
    },
    "activation-invalid": {
        "nl": "Deze activatielink is onbekend, al gebruikt of verlopen. Vraag een nieuwe.",
        "fr": "Ce lien d'activation est inconnu, déjà utilisé ou expiré. Demandez-en un nouveau.",
        "en": "This activation link is unknown, already used or expired. Ask for a new one.",
    },
    "password-too-short": {
        "nl": "Kies een wachtwoord van minstens 12 tekens.",
        "fr": "Choisissez un mot de passe d'au moins 12 caractères.",
        "en": "Choose a password of at least 12 characters.",
    },
    "password-too-long": {
        "nl": "Kies een wachtwoord van hoogstens 256 tekens.",
        "fr": "Choisissez un mot de passe de 256 caractères au plus.",
        "en": "Choose a password of at most 256 characters.",
    },
    "password-common": {
        "nl": "Dit wachtwoord is te bekend. Kies een ander, bijvoorbeeld een korte zin.",
        "fr": "Ce mot de passe est trop courant. Choisissez-en un autre, une phrase par exemple.",
        "en": "This password is too common. Choose another, for example a short sentence.",
    },
    "password-names-the-account": {
        "nl": "Gebruik je e-mailadres niet als wachtwoord.",
        "fr": "N'utilisez pas votre adresse e-mail comme mot de passe.",
        "en": "Do not use your e-mail address as your password.",
    },
    "csrf-failed": {
        "nl": "Dit formulier is verlopen. Laad de pagina opnieuw en probeer nog eens.",
        "fr": "Ce formulaire a expiré. Rechargez la page et réessayez.",
        "en": "This form has expired. Reload the page and try again.",
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
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    503: "service-unavailable",
}

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
    messages = (
        END_USER_MESSAGES.get(code)
        or END_USER_MESSAGES[_FALLBACK_CODE_BY_STATUS.get(status, "internal-error")]
    )
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": messages["en"],
        "code": code,
        "end_user_message": messages["nl"],
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
