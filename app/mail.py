"""Outgoing mail: the SMTP server of the settings, through aiosmtplib.

Mail is sent after the work it announces is committed (a background task of the request),
so a rolled-back account is never announced; a mail that cannot be delivered is logged —
without its text, which may hold a one-time link — and changes nothing, since whoever
created the account also got the link in the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import structlog

from app.settings import Settings

log = structlog.get_logger("openpas.mail")


@dataclass(frozen=True, slots=True)
class Mailer:
    host: str
    port: int
    security: str
    username: str
    password: str
    sender: str
    timeout_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> Mailer | None:
        """The mailer of the settings, or None when no SMTP server is configured."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            timeout_seconds=settings.smtp_timeout_seconds,
        )

    async def send(self, message: EmailMessage, *, kind: str) -> bool:
        """Sends `message` from the configured sender; False (logged) when it could not."""
        if "From" not in message:
            message["From"] = self.sender
        recipient_domain = str(message["To"]).rpartition("@")[2].rstrip(">")
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password or None,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                timeout=self.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            log.warning(
                "mail_not_sent",
                kind=kind,
                recipient_domain=recipient_domain,
                error=type(error).__name__,
                smtp_host=self.host,
            )
            return False
        log.info("mail_sent", kind=kind, recipient_domain=recipient_domain)
        return True
