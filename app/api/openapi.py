"""Touches on FastAPI's OpenAPI document that its parameters cannot say themselves."""

from __future__ import annotations

from typing import Any

# An operation's `openapi_extra` key: header parameters the document declares required
# although the route takes them as optional, to answer their absence with its own problem.
REQUIRED_HEADERS = "x-openpas-required-headers"


def require_headers(operation: dict[str, Any]) -> None:
    names = {name.lower() for name in operation.pop(REQUIRED_HEADERS, [])}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter["name"].lower() in names:
            parameter["required"] = True
            schema = parameter.get("schema", {})
            # `str | None` documents anyOf [string, null]: a required header is a string.
            for option in schema.pop("anyOf", []):
                if option.get("type") != "null":
                    schema.update(option)
