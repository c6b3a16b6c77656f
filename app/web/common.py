"""What every page shares: templates, the language, the staff session, CSRF, problems.

The session cookie holds a random token (the database keeps its hash); it is HttpOnly,
SameSite=Strict and Secure outside demo mode (the demo serves plain http on 127.0.0.1).
Every form carries a CSRF token: the session's own once logged in, and before that (log in,
activate) a random value also set in a cookie of its own, compared on submit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.problems import end_user_message, negotiate_language
from app.clock import BRUSSELS
from app.domain.localized import Lang
from app.errors import OpenPasError
from app.i18n import translate
from app.services import staff as staff_service
from app.services.staff import StaffSession
from app.settings import Settings
from app.web.i18n import LANGUAGE_NAMES, LANGUAGES

SESSION_COOKIE = "openpas_session"
PRE_CSRF_COOKIE = "openpas_form"
LANGUAGE_COOKIE = "openpas_lang"
WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")


def money(cents: int, language: Lang) -> str:
    """€ 23,80 (nl, fr, de) or €23.80 (en); integer cents, no float on the way."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    if language == "en":
        return f"{sign}€{euros:,}.{rest:02d}"
    return f"{sign}€ {euros:,}".replace(",", ".") + f",{rest:02d}"


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(BRUSSELS).strftime("%H:%M") if moment else ""


templates.env.globals.update(t=translate, money=money, local_time=local_time)


def language_of(request: Request) -> Lang:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    for language in LANGUAGES:
        if chosen == language:
            return language
    return negotiate_language(request.headers.get("accept-language"))


def secure_cookies(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return not settings.demo


class LoginRequired(OpenPasError):
    """A page asked without a live session: the handler sends the browser to /login. The
    work stands: an expired session found on the way is deleted."""

    status = 401
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("This page needs a staff login.", keeps_work=True)


@dataclass(frozen=True, slots=True)
class Page:
    request: Request
    language: Lang
    staff: StaffSession | None

    @property
    def csrf(self) -> str:
        return self.staff.csrf_token if self.staff else ""


async def staff_page(request: Request, session: AsyncSession) -> Page:
    """The logged-in staff member's page, or LoginRequired."""
    token = request.cookies.get(SESSION_COOKIE)
    found = await staff_service.session_of_token(session, token) if token else None
    if found is None:
        raise LoginRequired()
    request.state.client_id = found.principal.client_id
    return Page(request, language_of(request), found)


def check_csrf(page: Page, submitted: str | None) -> None:
    if page.staff is None or not secrets.compare_digest(page.csrf, submitted or ""):
        raise CsrfFailed


class CsrfFailed(OpenPasError):
    status = 403
    code = "csrf-failed"
    title = "Forbidden"

    def __init__(self) -> None:
        super().__init__("The form's CSRF token does not match the session.")


def check_pre_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(PRE_CSRF_COOKIE) or ""
    if not cookie or not secrets.compare_digest(cookie, submitted or ""):
        raise CsrfFailed


def render(page: Page, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        page.request,
        template,
        {
            "lang": page.language,
            "languages": LANGUAGE_NAMES,
            "staff": page.staff.staff if page.staff else None,
            "role": page.staff.staff.grant.role.value if page.staff else None,
            "csrf": page.csrf,
            "here": _here(page.request),
            **context,
        },
        status_code=status_code,
    )
    _no_store(response)
    return response


def _here(request: Request) -> str:
    """Where the language switch comes back to: this page, or for the answer to a form
    (which cannot be asked again with GET) the page that form belongs to."""
    if request.method == "GET":
        return request.url.path
    if request.url.path in {"/login", "/activate"}:
        return "/login"
    return "/desk/"


def _no_store(response: Response) -> None:
    # Pages show names and sales: no cache keeps them after logout.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"


def problem_message(error: OpenPasError, language: Lang) -> str:
    """The sentence for the person at the desk: the API's end_user_message."""
    return end_user_message(error.code, error.status, language)


class ShowProblem(OpenPasError):
    """A use case's problem shown as a page (`response`, built from the problem).

    It is raised, not returned, so that the request's unit of work sees it as it sees an
    API problem: it rolls back what the use case flushed, or commits when the problem says
    that work stands (`keeps_work`: a failed login's count, a fresh quote's audit row).
    """

    def __init__(self, problem: OpenPasError, response: Response) -> None:
        super().__init__(problem.detail, code=problem.code, keeps_work=problem.keeps_work)
        self.status = problem.status  # type: ignore[misc]  # the problem's own status
        # The problem's own headers (a 429's Retry-After and RateLimit fields) on the page.
        for name, value in problem.headers.items():
            response.headers.setdefault(name, value)
        self.headers = dict(problem.headers)
        self.response = response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    _no_store(response)
    return response


def new_form_token() -> str:
    return secrets.token_urlsafe(32)
