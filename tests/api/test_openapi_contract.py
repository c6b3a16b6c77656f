"""The OpenAPI document is the contract clients are generated from: it must say what the
code does, in names a generated client can live with."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from pydantic import BaseModel

import app
from app import errors as app_errors
from app.api import examples, routes
from app.api.deps import Authorized
from app.api.openapi import enforced_roles
from app.api.problems import END_USER_MESSAGES, documented_codes
from app.api.routes.quotes import QuoteOut
from app.api.routes.sales import SaleConflict
from app.domain.access import Principal, Role
from app.domain.vouchers import VoucherRefusal
from app.main import create_app
from app.services import organisations, partners, quotes, reports
from tests.conftest import make_settings

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_LOWER_CAMEL = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$")
# FastAPI's own ids: the function's name, the path and the method, joined by underscores.
_FASTAPI_DEFAULT = re.compile(r"_(?:get|put|post|delete|patch|head|options)$|_v1_")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(make_settings("postgresql://openpas@127.0.0.1/unused")).openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in _METHODS:
                yield method.upper(), path, operation


def test_every_operation_has_a_readable_unique_id(document: dict[str, Any]) -> None:
    ids = [op.get("operationId", "") for _, _, op in operations(document)]
    assert len(ids) > 50
    assert [i for i in ids if not _LOWER_CAMEL.fullmatch(i)] == []
    assert [i for i in ids if _FASTAPI_DEFAULT.search(i)] == []
    assert sorted(i for i in ids if ids.count(i) > 1) == []


def test_the_desk_operations_keep_their_names(document: dict[str, Any]) -> None:
    by_route = {f"{m} {p}": op["operationId"] for m, p, op in operations(document)}
    assert by_route["POST /v1/quotes"] == "createQuote"
    assert by_route["POST /v1/sales"] == "createSale"
    assert by_route["GET /v1/sales"] == "listSales"
    assert by_route["GET /v1/sales/{sale_id}"] == "getSale"
    assert by_route["POST /v1/sales/{sale_id}/confirm"] == "confirmSale"
    assert by_route["POST /v1/sales/{sale_id}/cancel"] == "cancelSale"


# Operations anyone may call without a token; a new one must be added here on purpose.
PUBLIC = {
    "getHealth",
    "getReadiness",
    "getMetrics",
    "createToken",
    "listRegions",
    "getRegion",
    "listSchemes",
    "getScheme",
    "getOffer",
    "getOfferPrices",
    "checkEligibility",
}


def test_every_protected_operation_names_its_roles(document: dict[str, Any]) -> None:
    unstated = []
    for _, path, operation in operations(document):
        roles = operation.get("x-openpas-roles")
        if operation["operationId"] in PUBLIC:
            assert roles is None, operation["operationId"]
            assert "anyone; no token needed" in operation["description"]
        elif path.startswith("/v1/"):
            if not roles:
                unstated.append(operation["operationId"])
                continue
            assert "admin" in roles
            assert set(roles) <= {role.value for role in Role}
            for role in roles:
                assert f"`{role}`" in operation["description"]
    assert unstated == []


@pytest.mark.parametrize(
    ("operation_id", "roles"),
    [
        ("createQuote", quotes.DESKS),
        ("createSale", quotes.DESKS),
        ("cancelSale", quotes.DESKS),
        ("getPartner", partners.READERS),
        ("getSettlementReport", reports.SETTLEMENT_READERS),
        ("issueVoucher", organisations.ISSUERS),
        ("createClient", {Role.ADMIN}),
        ("getPassholder", {Role.REGISTRY}),
    ],
)
def test_the_documented_roles_are_the_enforced_ones(
    document: dict[str, Any], operation_id: str, roles: frozenset[Role]
) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(document)}
    assert by_id[operation_id]["x-openpas-roles"] == sorted({*roles, Role.ADMIN})


def test_the_roles_come_from_the_gate_itself() -> None:
    """A route's documented roles are read from its Authorized dependency: changing the
    gate changes the document."""
    router = APIRouter()

    @router.get("/x", operation_id="getX")
    async def get_x(
        _: Annotated[Principal, Depends(Authorized(Role.REPORTER))],
    ) -> None: ...

    @router.get("/y", operation_id="getY")
    async def get_y() -> None: ...

    x, y = router.routes
    assert isinstance(x, APIRoute)
    assert isinstance(y, APIRoute)
    assert enforced_roles(x) == frozenset({Role.REPORTER, Role.ADMIN})
    assert enforced_roles(y) is None


# Codes answered only by the server-rendered pages (staff login, activation, forms), which
# are outside the API and its document; and 405, answered for a method the document does
# not list, so there is no operation to list it under.
OUTSIDE_THE_DOCUMENT = {
    "login-failed",
    "login-locked",
    "activation-invalid",
    "password-too-short",
    "password-too-long",
    "password-common",
    "password-names-the-account",
    "csrf-failed",
    "method-not-allowed",
}


def raised_codes() -> dict[str, set[int | None]]:
    """Every problem code the code base can answer, with its status where the source says
    it: the `code=` of each OpenPasError raised, the `code` of each OpenPasError class, the
    voucher refusals, and every code with an end-user message."""
    errors = {
        name: cls
        for name, cls in vars(app_errors).items()
        if isinstance(cls, type) and issubclass(cls, app_errors.OpenPasError)
    }
    found: dict[str, set[int | None]] = {code: set() for code in END_USER_MESSAGES}
    for file in Path(app.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                callee = node.func
                name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                for keyword in node.keywords:
                    if (
                        keyword.arg == "code"
                        and isinstance(keyword.value, ast.Constant)
                        and isinstance(keyword.value.value, str)
                    ):
                        status = errors[name].status if name in errors else None
                        found.setdefault(str(keyword.value.value), set()).add(status)
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and isinstance(statement.targets[0], ast.Name)
                        and statement.targets[0].id == "code"
                        and isinstance(statement.value, ast.Constant)
                    ):
                        found.setdefault(str(statement.value.value), set()).add(None)
    for refusal in VoucherRefusal:
        found.setdefault(refusal.value, set()).add(409)
    return found


def documented(document: dict[str, Any]) -> dict[str, set[int]]:
    codes: dict[str, set[int]] = {}
    for _, _, operation in operations(document):
        for status, response in operation["responses"].items():
            for code in documented_codes(response):
                codes.setdefault(code, set()).add(int(status))
    return codes


def test_the_scan_finds_the_codes_it_should() -> None:
    codes = raised_codes()
    assert codes["limit-reached"] == {409}
    assert codes["card-not-found"] == {404}
    assert 422 in codes["import-too-large"]
    assert "unknown-scheme" in codes  # raised, with no message of its own
    assert "csrf-failed" in codes


def test_every_code_the_code_base_can_answer_is_documented(document: dict[str, Any]) -> None:
    raised = raised_codes()
    listed = documented(document)
    assert sorted(set(raised) - set(listed) - OUTSIDE_THE_DOCUMENT) == []
    # Under the status it is raised with.
    wrong = {
        code: (statuses, listed[code])
        for code, statuses in raised.items()
        if code in listed and not (statuses - {None}) <= listed[code]
    }
    assert wrong == {}
    # And nothing documented that the code base cannot answer.
    assert sorted(set(listed) - set(raised)) == []


def test_each_code_has_an_example_problem_under_its_status(document: dict[str, Any]) -> None:
    sale = document["paths"]["/v1/sales"]["post"]["responses"]
    examples = sale["409"]["content"]["application/problem+json"]["examples"]
    assert examples["limit-reached"]["value"] == {
        "type": "https://openpas.example/problems/limit-reached",
        "title": "Conflict",
        "status": 409,
        "detail": "All tickets at this rate have already been used with this card.",
        "code": "limit-reached",
        "end_user_message": "Met deze kaart zijn alle tickets aan dit tarief al gebruikt.",
    }
    assert "`limit-reached`" in sale["409"]["description"]
    bad = sale["400"]["content"]["application/problem+json"]["examples"]
    assert set(bad) == {"idempotency-key-missing", "bad-request"}
    token = document["paths"]["/v1/oauth/token"]["post"]["responses"]["401"]
    assert set(documented_codes(token)) == {"invalid-client"}


def test_a_sale_requires_an_idempotency_key_and_types_the_fresh_quote(
    document: dict[str, Any],
) -> None:
    sale = document["paths"]["/v1/sales"]["post"]
    (key,) = [p for p in sale["parameters"] if p["in"] == "header"]
    assert key["name"].lower() == "idempotency-key"
    assert key["required"] is True
    assert key["schema"]["type"] == "string"
    conflict = sale["responses"]["409"]["content"]["application/problem+json"]["schema"]
    assert conflict == {"$ref": "#/components/schemas/SaleConflict"}
    quote = document["components"]["schemas"]["SaleConflict"]["properties"]["quote"]
    assert {"$ref": "#/components/schemas/QuoteOut"} in quote["anyOf"]
    assert "tariffs" in document["components"]["schemas"]["QuoteOut"]["properties"]


# The routes whose every request and answer carries an example.
EXAMPLED_TAGS = {"desk", "registry", "reports", "organisations", "staff", "webhooks"}


def _shown(document: dict[str, Any], media: dict[str, Any]) -> bool:
    if "example" in media or media.get("examples"):
        return True
    if media.get("schema", {}).get("format") == "binary":
        return True  # a spreadsheet has no text example; its description names its columns
    ref = media.get("schema", {}).get("$ref", "")
    component = document["components"]["schemas"].get(ref.rpartition("/")[2], {})
    return bool(component.get("examples"))


def test_every_desk_registry_report_organisation_and_staff_call_has_examples(
    document: dict[str, Any],
) -> None:
    missing = []
    count = 0
    for _, _, operation in operations(document):
        if not EXAMPLED_TAGS & set(operation.get("tags", ())):
            continue
        count += 1
        bodies = operation.get("requestBody", {}).get("content", {})
        answers = {
            f"{status} {media_type}": media
            for status, response in operation["responses"].items()
            if status.startswith("2")
            for media_type, media in response.get("content", {}).items()
        }
        for where, media in {**bodies, **answers}.items():
            if not _shown(document, media):
                missing.append(f"{operation['operationId']} {where}")
    assert count >= 38
    assert missing == []


def _models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module in pkgutil.iter_modules(routes.__path__):
        for name, value in vars(
            importlib.import_module(f"{routes.__name__}.{module.name}")
        ).items():
            if isinstance(value, type) and issubclass(value, BaseModel):
                found.setdefault(name, value)
    return found


@pytest.mark.parametrize("name", sorted(examples.REQUESTS))
def test_a_request_example_is_a_valid_request(name: str) -> None:
    _models()[name].model_validate(examples.REQUESTS[name])


@pytest.mark.parametrize("name", sorted(examples.RESPONSES))
def test_a_response_example_is_what_the_model_answers(name: str) -> None:
    example = examples.RESPONSES[name]
    assert _models()[name].model_validate(example).model_dump(mode="json") == example


def _more(examples_by_name: dict[str, list[dict[str, Any]]]) -> list[tuple[str, int]]:
    return [
        (name, i) for name, found in sorted(examples_by_name.items()) for i in range(len(found))
    ]


@pytest.mark.parametrize(("name", "index"), _more(examples.MORE_REQUESTS))
def test_a_further_request_example_is_a_valid_request(name: str, index: int) -> None:
    _models()[name].model_validate(examples.MORE_REQUESTS[name][index])


@pytest.mark.parametrize(("name", "index"), _more(examples.MORE_RESPONSES))
def test_a_further_response_example_is_what_the_model_answers(name: str, index: int) -> None:
    example = examples.MORE_RESPONSES[name][index]
    assert _models()[name].model_validate(example).model_dump(mode="json") == example


def test_the_open_price_examples_are_shown_after_the_first(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("QuoteIn", "SaleIn", "QuoteOut", "SaleOut"):
        assert len(schemas[name]["examples"]) == 2, name
    assert schemas["QuoteIn"]["examples"][1]["regular_price_cents"] == 3748
    assert schemas["QuoteOut"]["examples"][1]["regular_price_cents"] == 3748
    assert schemas["SaleOut"]["examples"][1]["items"][0]["regular_price_cents"] == 3748
    assert schemas["OfferOut"]["examples"][0]["open_price"] is True


def test_the_import_documents_its_csv_and_json_lines_bodies(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/imports/entitlements"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["text/csv"]["example"] == examples.IMPORT_CSV
    assert body["content"]["application/x-ndjson"]["example"] == examples.IMPORT_JSON_LINES
    assert body["content"]["text/csv"]["schema"]["type"] == "string"
    lines = examples.IMPORT_JSON_LINES.splitlines()
    header = examples.IMPORT_CSV.splitlines()[0].split(";")
    assert sorted(json.loads(lines[0])) == sorted(header)


def test_the_price_changed_example_carries_a_quote(document: dict[str, Any]) -> None:
    sale = document["paths"]["/v1/sales"]["post"]["responses"]["409"]
    value = sale["content"]["application/problem+json"]["examples"]["price-changed"]["value"]
    assert SaleConflict.model_validate(value).quote == QuoteOut.model_validate(
        examples.RESPONSES["QuoteOut"]
    )


def test_the_voucher_print_example_is_the_example_voucher_printed(
    document: dict[str, Any],
) -> None:
    answer = document["paths"]["/v1/vouchers/{code}"]["get"]["responses"]["200"]["content"]
    svg = answer["image/svg+xml"]["example"]
    voucher = examples.RESPONSES["VoucherOut"]
    assert svg.startswith("<svg")
    assert voucher["printed_code"] in svg
    assert "Ticket voucher – 2 people" in svg
    assert "Valid until 2026-12-31" in svg
    assert answer["application/json"]["schema"] == {"$ref": "#/components/schemas/VoucherOut"}
