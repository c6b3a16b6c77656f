"""Bulk imports of statuses from authoritative lists (CSV or JSON lines)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.api import examples
from app.api.deps import Authorized, SessionDep, SettingsDep, long_statements
from app.api.models import ID_SCHEMA, ResponseModel, parse_reference
from app.api.problems import problem_responses
from app.domain.access import Principal, Role
from app.errors import Unprocessable, UnsupportedMediaType
from app.services import imports as service

# A list of 100,000 rows takes longer than the desk's statement timeout.
router = APIRouter(prefix="/v1/imports", tags=["registry"], dependencies=[Depends(long_statements)])

CSV_TYPES = ("text/csv",)
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


class Rejection(ResponseModel):
    row: int
    reason: str


class ImportReportOut(ResponseModel):
    rows: int
    granted: int
    renewed: int
    unchanged: int
    pending: int
    already_pending: int
    rejected: int
    rejections: list[Rejection]


@router.post(
    "/entitlements",
    operation_id="importEntitlements",
    response_model=ImportReportOut,
    responses=problem_responses(
        401, 403, 404, 413, 415, 422, codes={422: ("import-unreadable", "import-too-large")}
    ),
    summary="Grant statuses from an authoritative list, matched by INSZ",
    description=(
        "Body: CSV with a header (`insz,type,valid_from,valid_until,evidence`; `,` or `;`) "
        "or JSON lines with the same keys, up to 100,000 rows. Matched passholders of the "
        "region get the status granted or renewed; unknown INSZ are kept pending and "
        "applied when the person registers. The report names rejected rows by number only."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "A header row naming the columns, then one row per "
                        "status; `,` or `;` between fields, UTF-8 (a byte-order mark is fine)",
                    },
                    "example": examples.IMPORT_CSV,
                },
                "application/x-ndjson": {
                    "schema": {
                        "type": "string",
                        "description": "One JSON object per line with the same keys "
                        "(insz, type, valid_from, and optionally valid_until, evidence)",
                    },
                    "example": examples.IMPORT_JSON_LINES,
                },
            },
        }
    },
)
async def import_entitlements(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(Authorized(Role.REGISTRY))],
    region_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
    source: Annotated[str, Query(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]+$")] = (
        "import"
    ),
) -> ImportReportOut:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES + JSON_LINES_TYPES:
        raise UnsupportedMediaType("Send the list as text/csv or application/x-ndjson.")
    if region_id is None:
        regions = principal.region_ids({Role.REGISTRY})
        if len(regions) != 1:
            raise Unprocessable(
                "Give region_id: this client is a registry of several regions.",
                extra={"errors": [{"parameter": "region_id", "detail": "required"}]},
            )
        [region_id] = regions
    else:
        region_id = parse_reference(region_id, parameter="region_id")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("The list must be UTF-8 text.", code="import-unreadable") from None
    rows = service.read_csv(text) if media_type in CSV_TYPES else service.read_json_lines(text)
    report = await service.import_entitlements(
        session,
        principal=principal,
        insz_key=settings.insz_hmac_key,
        region_id=region_id,
        source=f"import:{source}",
        rows=rows,
    )
    return ImportReportOut(
        rows=report.rows,
        granted=report.granted,
        renewed=report.renewed,
        unchanged=report.unchanged,
        pending=report.pending,
        already_pending=report.already_pending,
        rejected=report.rejected,
        rejections=[Rejection(row=row, reason=reason) for row, reason in report.rejections],
    )
