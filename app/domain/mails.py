"""The mails OpenPas sends to people, in their language: the activation of a staff account.

A mail names what the account is for and carries its one-time link; it never carries a
password or anything about passholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Final
from zoneinfo import ZoneInfo

from app.domain.access import Role
from app.domain.localized import Lang

BRUSSELS: Final = ZoneInfo("Europe/Brussels")

_ROLES: Final[Mapping[Role, Mapping[Lang, str]]] = {
    Role.DESK: {"nl": "de balie", "fr": "le guichet", "en": "the desk"},
    Role.PARTNER_ADMIN: {
        "nl": "het beheer van een partner",
        "fr": "la gestion d'un partenaire",
        "en": "managing a partner",
    },
    Role.REGION_ADMIN: {
        "nl": "het beheer van een regio",
        "fr": "la gestion d'une région",
        "en": "managing a region",
    },
    Role.REPORTER: {"nl": "de cijfers", "fr": "les chiffres", "en": "the figures"},
    Role.REGISTRY: {"nl": "het register", "fr": "le registre", "en": "the registry"},
}

_SUBJECT: Final[Mapping[Lang, str]] = {
    "nl": "Activeer je OpenPas-account",
    "fr": "Activez votre compte OpenPas",
    "en": "Activate your OpenPas account",
}

_BODY: Final[Mapping[Lang, str]] = {
    "nl": (
        "Dag {name},\n\n"
        "Er is een OpenPas-account voor je gemaakt voor {role}.\n"
        "Kies je wachtwoord via deze link, die één keer werkt, tot {until}:\n\n"
        "{url}\n\n"
        "Verwachtte je deze mail niet? Dan mag je hem negeren: zonder wachtwoord kan "
        "niemand het account gebruiken.\n"
    ),
    "fr": (
        "Bonjour {name},\n\n"
        "Un compte OpenPas a été créé pour vous pour {role}.\n"
        "Choisissez votre mot de passe avec ce lien, valable une seule fois, jusqu'au "
        "{until} :\n\n"
        "{url}\n\n"
        "Vous n'attendiez pas ce message ? Vous pouvez l'ignorer : sans mot de passe, "
        "personne ne peut utiliser le compte.\n"
    ),
    "en": (
        "Hello {name},\n\n"
        "An OpenPas account has been created for you for {role}.\n"
        "Choose your password with this link, which works once, until {until}:\n\n"
        "{url}\n\n"
        "Not expecting this mail? You may ignore it: without a password nobody can use "
        "the account.\n"
    ),
}

_UNTIL: Final[Mapping[Lang, str]] = {
    "nl": "%d/%m/%Y om %H:%M",
    "fr": "%d/%m/%Y à %H:%M",
    "en": "%d/%m/%Y at %H:%M",
}


def activation_mail(
    *,
    name: str,
    email: str,
    role: Role,
    url: str,
    expires_at: datetime,
    language: Lang,
) -> EmailMessage:
    """The mail that invites a new staff member to choose a password (the sender is set by
    whoever sends it)."""
    # One line of words: a name is never a way to add a header (the API refuses control
    # characters already; a name from elsewhere is flattened, not trusted).
    name = " ".join(name.split())
    message = EmailMessage()
    message["To"] = Address(display_name=name, addr_spec=email)
    message["Subject"] = _SUBJECT[language]
    message.set_content(
        _BODY[language].format(
            name=name,
            role=_ROLES[role][language],
            until=expires_at.astimezone(BRUSSELS).strftime(_UNTIL[language]),
            url=url,
        )
    )
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = language
    return message
