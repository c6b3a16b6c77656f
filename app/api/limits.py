"""A ceiling on request body size, enforced while the body streams in."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import PROBLEM_MEDIA_TYPE, end_user_message, negotiate_language


class _TooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing lets it through to the problem handler."""


class BodySizeLimitMiddleware:
    """413 for bodies over the limit, checked on Content-Length and on the bytes received.

    Bulk imports get their own, larger ceiling; everything else stays small, so a client
    cannot make the server buffer megabytes of JSON.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, large_max_bytes: int, large_paths: tuple[str, ...]
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.large_max_bytes = large_max_bytes
        self.large_paths = large_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is None and not chunked:
            # No body can follow (RFC 9112, 6.3): nothing to count. Most requests are these.
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.large_max_bytes if path.startswith(self.large_paths) else self.max_bytes
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._reject(scope, send, limit)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(413, f"The request body is larger than {limit} bytes.")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await self._reject(scope, send, limit)

    @staticmethod
    async def _reject(scope: Scope, send: Send, limit: int) -> None:
        headers = dict(scope["headers"])
        language = negotiate_language(headers.get(b"accept-language", b"").decode("latin-1"))
        body = json.dumps(
            {
                "type": "https://openpas.example/problems/payload-too-large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"The request body is larger than {limit} bytes.",
                "code": "payload-too-large",
                "end_user_message": end_user_message("payload-too-large", 413, language),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-language", language.encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
