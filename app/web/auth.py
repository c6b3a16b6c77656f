"""Log in, log out, activate an account, switch the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import SessionDep
from app.domain.access import Role
from app.domain.staff import SESSION_ABSOLUTE
from app.errors import OpenPasError
from app.i18n import translate
from app.services import staff as service
from app.web.common import (
    LANGUAGE_COOKIE,
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    Page,
    ShowProblem,
    check_csrf,
    check_pre_csrf,
    language_of,
    new_form_token,
    problem_message,
    redirect,
    render,
    secure_cookies,
    staff_page,
)
from app.web.i18n import LANGUAGES, NOTICES

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=300)]
Password = Annotated[str, Form(max_length=1000)]


def local_path(value: str | None, default: str = "/desk/") -> str:
    """Only a path on this site: never an open redirect to another."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def home_of(role: Role) -> str:
    return "/desk/" if role in {Role.DESK, Role.PARTNER_ADMIN} else "/dashboard/"


def _form_page(
    request: Request, template: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    """A page with a form before any session: a fresh token in a cookie and in the form."""
    token = new_form_token()
    page = Page(request, language_of(request), None)
    response = render(page, template, status_code, form_token=token, **context)
    response.set_cookie(
        PRE_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    next_: Annotated[str | None, Query(alias="next", max_length=300)] = None,
    notice: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    key = NOTICES.get(notice or "")
    message = translate(key, language_of(request)) if key else None
    return _form_page(request, "login.html", next=local_path(next_, ""), notice=message)


@router.post("/login")
async def log_in(
    request: Request,
    session: SessionDep,
    email: FormText,
    password: Password,
    form_token: FormText,
    next_: Annotated[str, Form(alias="next", max_length=300)] = "",
) -> Response:
    try:
        check_pre_csrf(request, form_token)
        logged_in = await service.log_in(
            session,
            email=email,
            password=password,
            address=request.client.host if request.client else "unknown",
            demo=request.app.state.settings.demo,
        )
    except OpenPasError as error:
        language = language_of(request)
        raise ShowProblem(
            error,
            _form_page(
                request,
                "login.html",
                status_code=error.status,
                next=local_path(next_, ""),
                error=problem_message(error, language),
                email=email,
            ),
        ) from None
    response = redirect(local_path(next_, home_of(logged_in.staff.grant.role)))
    response.set_cookie(
        SESSION_COOKIE,
        logged_in.session_token,
        max_age=int(SESSION_ABSOLUTE.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/",
    )
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def log_out(request: Request, session: SessionDep, csrf: FormText) -> Response:
    page = await staff_page(request, session)
    check_csrf(page, csrf)
    await service.log_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login?notice=logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/activate", response_class=HTMLResponse)
async def activation_page(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    try:
        staff = await service.staff_of_activation(session, token)
    except OpenPasError as error:
        page = Page(request, language_of(request), None)
        return render(
            page,
            "message.html",
            error.status,
            error=problem_message(error, page.language),
        )
    return _form_page(request, "activate.html", token=token, member=staff)


@router.post("/activate")
async def activate(
    request: Request,
    session: SessionDep,
    token: FormText,
    password: Password,
    password_again: Password,
    form_token: FormText,
) -> Response:
    language = language_of(request)
    member = None
    try:
        check_pre_csrf(request, form_token)
        member = await service.staff_of_activation(session, token)
        if password != password_again:
            return _form_page(
                request,
                "activate.html",
                422,
                token=token,
                member=member,
                error=translate("web.passwords_differ", language),
            )
        await service.activate(session, token=token, password=password)
    except OpenPasError as error:
        message = problem_message(error, language)
        if member is None:
            page = Page(request, language, None)
            shown = render(page, "message.html", error.status, error=message)
        else:
            shown = _form_page(
                request, "activate.html", error.status, token=token, member=member, error=message
            )
        raise ShowProblem(error, shown) from None
    return redirect("/login?notice=activated")


@router.get("/lang/{language}")
async def switch_language(
    language: str, next_: Annotated[str | None, Query(alias="next", max_length=300)] = None
) -> Response:
    response = redirect(local_path(next_))
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/"
        )
    return response
