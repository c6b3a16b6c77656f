"""The anonymous self-check: which schemes might I qualify for? Stores and logs nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import ConfigDict, Field, model_validator

from app.api.deps import SessionDep
from app.api.models import IsoDate, RequestModel, ResponseModel, one_of_required
from app.api.problems import negotiate_language, problem_responses
from app.domain.entitlements import ENTITLEMENT_TYPES
from app.services import eligibility as service

router = APIRouter(prefix="/v1/eligibility", tags=["public"])

Status = Annotated[str, Field(max_length=40, json_schema_extra={"enum": list(ENTITLEMENT_TYPES)})]


class CheckIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra=one_of_required(("municipality_nis",), ("postal_code",))
    )

    municipality_nis: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | None = None
    postal_code: Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")] | None = None
    birth_date: IsoDate
    statuses: Annotated[list[Status], Field(max_length=len(ENTITLEMENT_TYPES))] = Field(
        default_factory=list,
        description="Statuses the person has, e.g. kansenstatuut, verhoogde_tegemoetkoming",
    )

    @model_validator(mode="after")
    def _where(self) -> CheckIn:
        if (self.municipality_nis is None) == (self.postal_code is None):
            raise ValueError("give municipality_nis or postal_code")
        unknown = sorted(set(self.statuses) - set(ENTITLEMENT_TYPES))
        if unknown:
            raise ValueError("unknown status: " + ", ".join(unknown))
        return self


class SchemeMatch(ResponseModel):
    scheme_code: str
    name: str
    summary: str
    how_to_apply: str | None
    valid_at_partners_of: str | None = Field(
        description="The region whose partners accept it; null: wherever the pass is accepted"
    )


class CheckOut(ResponseModel):
    language: str
    schemes: list[SchemeMatch]


@router.post(
    "/check",
    operation_id="checkEligibility",
    response_model=CheckOut,
    responses=problem_responses(codes={422: ("not-in-a-pass-region",)}),
    summary="Which schemes might I qualify for, and how do I apply? (anonymous)",
)
async def check(body: CheckIn, request: Request, session: SessionDep) -> CheckOut:
    language = negotiate_language(request.headers.get("accept-language"))
    matches = await service.check(
        session,
        municipality_nis=body.municipality_nis,
        postal_code=body.postal_code,
        birth_date=body.birth_date,
        statuses=frozenset(body.statuses),
    )
    return CheckOut(
        language=language,
        schemes=[
            SchemeMatch(
                scheme_code=m.scheme.code,
                name=m.scheme.name.get(language),
                summary=m.summary[language],
                how_to_apply=m.scheme.how_to_apply.get(language) if m.scheme.how_to_apply else None,
                valid_at_partners_of=m.valid_at_partners_of,
            )
            for m in matches
        ],
    )
