"""The mails OpenPas sends to people, in their language: the activation of a staff account.

A mail names what the account is for and carries its one-time link; it never carries a
password or anything about passholders. Its words are messages `mail.*` in the catalogues
(app.domain.messages), handed in as the recipient's `Texts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Final
from zoneinfo import ZoneInfo

from app.domain.access import Role
from app.domain.messages import N_, Texts

BRUSSELS: Final = ZoneInfo("Europe/Brussels")

_ROLES: Final[Mapping[Role, str]] = {
    Role.DESK: N_("mail.role.desk"),
    Role.PARTNER_ADMIN: N_("mail.role.partner_admin"),
    Role.REGION_ADMIN: N_("mail.role.region_admin"),
    Role.REPORTER: N_("mail.role.reporter"),
    Role.REGISTRY: N_("mail.role.registry"),
}


def activation_mail(
    *,
    name: str,
    email: str,
    role: Role,
    url: str,
    expires_at: datetime,
    t: Texts,
) -> EmailMessage:
    """The mail that invites a new staff member to choose a password (the sender is set by
    whoever sends it)."""
    # One line of words: a name is never a way to add a header (the API refuses control
    # characters already; a name from elsewhere is flattened, not trusted).
    name = " ".join(name.split())
    until = expires_at.astimezone(BRUSSELS)
    message = EmailMessage()
    message["To"] = Address(display_name=name, addr_spec=email)
    message["Subject"] = t("mail.activation.subject")
    message.set_content(
        t(
            "mail.activation.body",
            name=name,
            role=t(_ROLES[role]),
            until=t(
                "mail.activation.until",
                date=until.strftime("%d/%m/%Y"),
                time=until.strftime("%H:%M"),
            ),
            url=url,
        )
    )
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = t.language
    return message
