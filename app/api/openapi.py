"""Touches on FastAPI's OpenAPI document that its parameters cannot say themselves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api import examples
from app.api.deps import Authorized
from app.domain.access import Role
from app.services import voucher_print

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


# An operation's extension listing the roles whose grant lets a client call it.
ROLES = "x-openpas-roles"

# Where a role's grant must be for the call to reach a resource (app.domain.access).
_TENANT_OF_ROLE: dict[Role, str] = {
    Role.ADMIN: "any tenant",
    Role.REGION_ADMIN: "on the resource's region",
    Role.REGISTRY: "on the resource's region",
    Role.REPORTER: "on the resource's region",
    Role.PARTNER_ADMIN: "on the resource's partner",
    Role.DESK: "on the resource's partner",
    Role.ORGANISATION: "on the resource's organisation",
}


def enforced_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles the route's `Authorized` dependency lets through (admin always among
    them); None for a public route. Read from the dependency itself, so the document cannot
    say other than what the gate checks."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Authorized):
            return dependant.call.roles | {Role.ADMIN}
        # A gate of its own (GET /v1/me: any grant) says which roles it lets through.
        roles = getattr(dependant.call, "authorized_roles", None)
        if isinstance(roles, frozenset):
            return roles | {Role.ADMIN}
        pending.extend(dependant.dependencies)
    return None


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route of the application, inside included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router as a route of its own that holds the original.
        router = getattr(route, "original_router", None)
        if router is not None:
            yield from api_routes(router.routes)


def document_roles(operation: dict[str, Any], roles: frozenset[Role] | None) -> None:
    """State in the description and in `x-openpas-roles` who may call the operation."""
    if roles is None:
        sentence = "**Who may call it:** anyone; no token needed."
    else:
        operation[ROLES] = sorted(role.value for role in roles)
        named = ", ".join(
            f"`{role}` ({_TENANT_OF_ROLE[role]})" for role in sorted(roles, key=_role_order)
        )
        sentence = (
            f"**Who may call it:** a client with a grant as {named}. A resource of another "
            "tenant answers as if it did not exist, or 403."
        )
    description = operation.get("description", "").strip()
    operation["description"] = f"{description}\n\n{sentence}" if description else sentence


def _role_order(role: Role) -> int:
    return list(Role).index(role)


def document_examples(schema: dict[str, Any]) -> None:
    """Put the examples of `app.api.examples` on the components and operations they show."""
    components = schema.get("components", {}).get("schemas", {})
    more = {**examples.MORE_REQUESTS, **examples.MORE_RESPONSES}
    for name, example in {**examples.REQUESTS, **examples.RESPONSES}.items():
        if name in components:
            components[name]["examples"] = [example, *more.get(name, ())]
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            csv = examples.CSV_RESPONSES.get(operation.get("operationId", ""))
            media = operation.get("responses", {}).get("200", {}).get("content", {})
            if csv is not None and "text/csv" in media:
                media["text/csv"]["example"] = csv
            if operation.get("operationId") == "createSale":
                _price_changed_with_its_quote(operation)
            if operation.get("operationId") == "getVoucher" and "image/svg+xml" in media:
                media["image/svg+xml"]["example"] = printed_voucher_example()


def printed_voucher_example() -> str:
    """The example voucher as `Accept: image/svg+xml` prints it in English: drawn by the
    print itself, so the document shows what the code answers."""
    voucher = examples.RESPONSES["VoucherOut"]
    printable = voucher_print.Printable(
        code=voucher["code"],
        people=voucher["people"],
        valid_until=date.fromisoformat(voucher["valid_until"]),
    )
    body, _ = voucher_print.render(printable, "en", "svg")
    return body.decode("utf-8")


def _price_changed_with_its_quote(operation: dict[str, Any]) -> None:
    """The `price-changed` example carries the fresh quote, as the answer does."""
    media = operation["responses"]["409"]["content"]["application/problem+json"]
    value = media["examples"]["price-changed"]["value"]
    quote = examples.RESPONSES["QuoteOut"]
    value.update(best_tariff_id=quote["best_tariff_id"], quote=quote)


# pydantic (2.x) cannot fold the bounds of a `StrictInt` (an int behind a before-validator)
# into the int's own schema and writes them under their Python names: `ge: 1` is no JSON
# Schema keyword, so the document would allow any integer the server refuses.
_BOUND_KEYWORDS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}


def fix_number_bounds(node: Any) -> None:
    """Rename pydantic's stray `ge`/`le`/`gt`/`lt` of number schemas to JSON Schema's words."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for python_name, keyword in _BOUND_KEYWORDS.items():
                if python_name in node:
                    node[keyword] = node.pop(python_name)
        for value in node.values():
            fix_number_bounds(value)
    elif isinstance(node, list):
        for value in node:
            fix_number_bounds(value)


# OpenAPI links of the main resource flows: what a call creates, the calls that use it next
# (for clients, and for schemathesis's stateful phase, which follows them). Each entry:
# the creating operation, its success status, and per following operation the parameters
# it takes from the answer (or from the creating request).
_BODY_ID = "$response.body#/id"
_LINKS: dict[tuple[str, str], dict[str, dict[str, str]]] = {
    ("createClient", "201"): {
        op: {"client_id": "$response.body#/client_id"}
        for op in ("getClient", "updateClient", "revokeClient")
    },
    ("createRegion", "201"): {
        op: {"region_id": _BODY_ID}
        for op in ("getRegion", "updateRegion", "archiveRegion", "createRegionStaff")
    },
    ("createScheme", "201"): {
        op: {"code": "$response.body#/code"} for op in ("getScheme", "updateScheme")
    },
    ("createPartner", "201"): {
        op: {"partner_id": _BODY_ID}
        for op in (
            "getPartner",
            "updatePartner",
            "archivePartner",
            "createOffer",
            "listPartnerOffers",
            "createPartnerStaff",
        )
    },
    ("createOffer", "201"): {
        op: {"offer_id": _BODY_ID}
        for op in ("getOffer", "updateOffer", "archiveOffer", "getOfferPrices")
    },
    ("createPassholder", "201"): {
        op: {"passholder_id": _BODY_ID}
        for op in (
            "getPassholder",
            "updatePassholder",
            "movePassholder",
            "issueCard",
            "listCards",
            "grantEntitlement",
            "listEntitlements",
        )
    },
    ("issueCard", "201"): {
        op: {"number": "$response.body#/number"} for op in ("blockCard", "replaceCard")
    },
    ("grantEntitlement", "201"): {
        op: {"passholder_id": "$request.path.passholder_id", "entitlement_id": _BODY_ID}
        for op in ("suspendEntitlement", "endEntitlement")
    },
    ("createOrganisation", "201"): {
        op: {"organisation_id": _BODY_ID}
        for op in (
            "getOrganisation",
            "updateOrganisation",
            "createAllocation",
            "listAllocations",
            "issueVoucher",
            "listVouchers",
        )
    },
    ("issueVoucher", "201"): {
        op: {"code": "$response.body#/code"} for op in ("getVoucher", "revokeVoucher")
    },
    ("createSale", "201"): {
        op: {"sale_id": _BODY_ID} for op in ("getSale", "confirmSale", "cancelSale")
    },
    ("createPartnerStaff", "201"): {"deactivateStaff": {"staff_id": _BODY_ID}},
    ("createRegionStaff", "201"): {"deactivateStaff": {"staff_id": _BODY_ID}},
}

# A quote's best tariff is what a sale of the same ticket names.
_QUOTE_TO_SALE = {
    "operationId": "createSale",
    "requestBody": {
        "items": [
            {
                "card_number": "$request.body#/card_number",
                "offer_id": "$request.body#/offer_id",
                "price_class": "$request.body#/price_class",
                "quantity": "$request.body#/quantity",
                "tariff_id": "$response.body#/best_tariff_id",
            }
        ]
    },
    "description": "Sell the quoted ticket at its best tariff",
}


def document_links(schema: dict[str, Any]) -> None:
    """Put `_LINKS` (and quote → sale) on the responses of the operations they start from."""
    responses = {
        operation["operationId"]: operation.get("responses", {})
        for operations in schema.get("paths", {}).values()
        for operation in operations.values()
        if "operationId" in operation
    }
    for (source, status), targets in _LINKS.items():
        links = responses[source][status].setdefault("links", {})
        for target, parameters in targets.items():
            if target not in responses:
                raise ValueError(f"a link to {target}, which is no operation")
            links[target] = {"operationId": target, "parameters": parameters}
    responses["createQuote"]["200"].setdefault("links", {})["createSale"] = _QUOTE_TO_SALE
