"""uvicorn's HTTP protocols, answering a request they cannot parse as a problem document.

A malformed request line or header (`Content-Length: -1`, a header without a colon) never
reaches the application: uvicorn's parser answers it itself, in plain text. These
subclasses answer the same 400 as `application/problem+json` with the stable code and a
sentence a desk can read out (in Dutch: the request's Accept-Language was not readable
either). `openpas serve` uses them (`--http app.http_protocol:ProblemHttpToolsProtocol`
for uvicorn's own command line).
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.api.problems import PROBLEM_MEDIA_TYPE, end_user_message
from app.domain.localized import Lang

_LANGUAGE: Lang = "nl"


def problem_body() -> bytes:
    return json.dumps(
        {
            "type": "https://openpas.example/problems/bad-request",
            "title": "Bad request",
            "status": 400,
            "detail": "The HTTP request could not be parsed (request line or headers).",
            "code": "bad-request",
            "end_user_message": end_user_message("bad-request", 400, _LANGUAGE),
        }
    ).encode()


def _response() -> bytes:
    body = problem_body()
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
        f"content-language: {_LANGUAGE}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        self.transport.write(_response())
        self.transport.close()


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        # Written past h11's state machine: the connection closes right after it.
        self.transport.write(_response())
        self.transport.close()
