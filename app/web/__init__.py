"""The web desk (/desk/) and the coordinator dashboard (/dashboard/): server-rendered pages
for staff who log in with a password, on the API's own use cases."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from app.web import auth, dashboard, desk
from app.web.common import (
    WEB_DIR,
    CsrfFailed,
    LoginRequired,
    Page,
    ShowProblem,
    language_of,
    redirect,
    render,
)


async def _login_required(request: Request, _: Exception) -> Response:
    target = request.url.path
    return redirect(f"/login?next={quote(target, safe='/')}")


async def _csrf_failed(request: Request, _: Exception) -> Response:
    page = Page(request, language_of(request), None)
    return render(page, "message.html", 403, error_key=None, error=_csrf_message(page))


def _csrf_message(page: Page) -> str:
    from app.api.problems import end_user_message

    return end_user_message("csrf-failed", 403, page.language)


async def _show_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShowProblem)
    return exc.response


def install(app: FastAPI) -> None:
    for module in (auth, desk, dashboard):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
    app.add_exception_handler(ShowProblem, _show_problem)
