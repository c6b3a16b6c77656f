"""The registry: passholders, their cards and statuses. INSZ goes in, never comes out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import ConfigDict, EmailStr, Field, model_validator

from app.api.deps import Authorized, SessionDep, SettingsDep
from app.api.models import (
    IdText,
    IsoDate,
    RequestModel,
    ResponseModel,
    not_null,
    one_of_required,
)
from app.api.problems import problem_responses
from app.api.round_trip import ReadOnly, check_read_only
from app.clock import today_in_brussels
from app.db.passholders import CardRow, PassholderRow
from app.domain.access import Principal, Role
from app.domain.cards import BlockReason, CardStatus
from app.domain.entitlements import ENTITLEMENT_TYPES, EntitlementStatus
from app.services import cards as card_service
from app.services import entitlements as entitlement_service
from app.services import passholders as service
from app.services.entitlements import EntitlementView

router = APIRouter(prefix="/v1", tags=["registry"])

Registry = Annotated[Principal, Depends(Authorized(Role.REGISTRY))]

PersonName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
PostalCode = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")]
NisCode = Annotated[str, Field(pattern=r"^[0-9]{5}$")]
InszText = Annotated[
    str,
    Field(
        min_length=11,
        max_length=20,
        pattern=r"^[0-9.\-](?:[0-9 .\-]*[0-9.\-])?$",
        description="Belgian INSZ (national register or BIS number); stored only as a keyed hash",
    ),
]
CardNumberText = Annotated[
    str, Field(min_length=13, max_length=20, pattern=r"^[0-9\-](?:[0-9 \-]*[0-9\-])?$")
]
EntitlementType = Annotated[
    str, Field(max_length=40, json_schema_extra={"enum": list(ENTITLEMENT_TYPES)})
]


class PassholderIn(RequestModel):
    first_name: PersonName
    last_name: PersonName
    birth_date: IsoDate
    postal_code: PostalCode
    municipality_nis: NisCode | None = Field(
        default=None, description="Required when the postal code covers several municipalities"
    )
    email: EmailStr | None = Field(default=None, max_length=254)
    insz: InszText | None = None


class PassholderPatch(RequestModel):
    """Only the fields given change; `null` clears email or INSZ."""

    model_config = ConfigDict(
        json_schema_extra=not_null(
            "first_name", "last_name", "birth_date", "postal_code", "municipality_nis"
        )
    )

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    birth_date: IsoDate | None = None
    postal_code: PostalCode | None = None
    municipality_nis: NisCode | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    insz: InszText | None = None
    # What GET answers and the server keeps: accepted sent back unchanged.
    id: ReadOnly
    region_id: ReadOnly
    has_insz: ReadOnly
    created_at: ReadOnly
    updated_at: ReadOnly

    @model_validator(mode="after")
    def _required_stay_set(self) -> PassholderPatch:
        for name in ("first_name", "last_name", "birth_date", "postal_code", "municipality_nis"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


# `updated_at` changes with every correction: a passholder read before another registry's
# correction is still sent back whole, so it is accepted whatever it says.
PASSHOLDER_READ_ONLY = ("id", "region_id", "has_insz", "created_at")
_ECHOED = (*PASSHOLDER_READ_ONLY, "updated_at")


class MoveIn(RequestModel):
    """The new residence, in another pass region: a postal code (with the municipality when
    it covers several), or a municipality (with the postal code when it has several)."""

    postal_code: PostalCode | None = None
    municipality_nis: NisCode | None = None

    @model_validator(mode="after")
    def _a_residence(self) -> MoveIn:
        if self.postal_code is None and self.municipality_nis is None:
            raise ValueError("give postal_code or municipality_nis")
        return self


class PassholderOut(ResponseModel):
    id: str
    first_name: str
    last_name: str
    birth_date: IsoDate
    postal_code: str
    municipality_nis: str
    region_id: str
    email: str | None
    has_insz: bool = Field(description="The INSZ itself is never returned")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: PassholderRow) -> PassholderOut:
        return cls(
            id=row.id,
            first_name=row.first_name,
            last_name=row.last_name,
            birth_date=row.birth_date,
            postal_code=row.postal_code,
            municipality_nis=row.municipality_nis,
            region_id=row.region_id,
            email=row.email,
            has_insz=row.has_insz,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class SearchIn(RequestModel):
    """Exactly one way of finding: a card number, an INSZ, or last name and birth date."""

    model_config = ConfigDict(
        json_schema_extra=one_of_required(("card_number",), ("insz",), ("last_name", "birth_date"))
    )

    card_number: CardNumberText | None = None
    insz: InszText | None = None
    last_name: PersonName | None = None
    birth_date: IsoDate | None = None

    @model_validator(mode="after")
    def _one_way(self) -> SearchIn:
        ways = [
            self.card_number is not None,
            self.insz is not None,
            self.last_name is not None or self.birth_date is not None,
        ]
        if sum(ways) != 1:
            raise ValueError("give card_number, or insz, or last_name with birth_date")
        if ways[2] and (self.last_name is None or self.birth_date is None):
            raise ValueError("last_name and birth_date go together")
        return self


class PassholderList(ResponseModel):
    items: list[PassholderOut]


class CardOut(ResponseModel):
    number: str
    status: CardStatus
    passholder_id: str
    region_id: str
    issued_at: datetime
    blocked_at: datetime | None
    block_reason: BlockReason | None
    replaced_by: str | None

    @classmethod
    def of(cls, row: CardRow) -> CardOut:
        return cls(
            number=row.number,
            status=CardStatus(row.status),
            passholder_id=row.passholder_id,
            region_id=row.region_id,
            issued_at=row.issued_at,
            blocked_at=row.blocked_at,
            block_reason=BlockReason(row.block_reason) if row.block_reason else None,
            replaced_by=row.replaced_by,
        )


class CardList(ResponseModel):
    items: list[CardOut]


class BlockIn(RequestModel):
    reason: BlockReason


class EntitlementIn(RequestModel):
    type: EntitlementType
    region_id: IdText | None = Field(
        default=None, description="The region where it counts; null: everywhere"
    )
    valid_from: IsoDate
    valid_until: IsoDate | None = Field(
        default=None, description="Default: the region's default end date in the next year"
    )
    evidence: Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] | None = None


class EntitlementOut(ResponseModel):
    id: str
    type: str
    region_id: str | None
    valid_from: IsoDate
    valid_until: date | None
    suspended_until: date | None
    ended_on: date | None
    evidence: str | None
    source: str
    renews_id: str | None = Field(description="The period this one renews, if any")
    status: EntitlementStatus
    created_at: datetime

    @classmethod
    def of(cls, view: EntitlementView) -> EntitlementOut:
        row = view.row
        return cls(
            id=row.id,
            type=row.type,
            region_id=row.region_id,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            suspended_until=row.suspended_until,
            ended_on=row.ended_on,
            evidence=row.evidence,
            source=row.source,
            renews_id=row.renews_id,
            status=view.status,
            created_at=row.created_at,
        )


class EntitlementList(ResponseModel):
    on: IsoDate
    items: list[EntitlementOut]


class SuspendIn(RequestModel):
    until: IsoDate


class EndIn(RequestModel):
    on: IsoDate


@router.post(
    "/passholders",
    operation_id="createPassholder",
    status_code=201,
    response_model=PassholderOut,
    responses=problem_responses(
        401,
        403,
        409,
        codes={
            409: ("passholder-exists", "passholder-exists-elsewhere"),
            422: ("municipality-ambiguous",),
        },
    ),
    summary="Register a passholder (registry of the home region)",
)
async def register_passholder(
    body: PassholderIn, session: SessionDep, settings: SettingsDep, principal: Registry
) -> PassholderOut:
    row = await service.register_passholder(
        session,
        settings,
        principal,
        service.PassholderInput(
            first_name=body.first_name,
            last_name=body.last_name,
            birth_date=body.birth_date,
            postal_code=body.postal_code,
            municipality_nis=body.municipality_nis,
            email=body.email,
            insz=body.insz,
        ),
    )
    return PassholderOut.of(row)


@router.post(
    "/passholders/search",
    operation_id="searchPassholders",
    response_model=PassholderList,
    responses=problem_responses(401, 403, codes={422: ("invalid-card-number",)}),
    summary="Find passholders by card number, INSZ, or last name and birth date",
)
async def search_passholders(
    body: SearchIn, session: SessionDep, settings: SettingsDep, principal: Registry
) -> PassholderList:
    rows = await service.search_passholders(
        session,
        settings,
        principal,
        service.SearchQuery(
            card_number=body.card_number,
            insz=body.insz,
            last_name=body.last_name,
            birth_date=body.birth_date,
        ),
    )
    return PassholderList(items=[PassholderOut.of(row) for row in rows])


@router.get(
    "/passholders/{passholder_id}",
    operation_id="getPassholder",
    response_model=PassholderOut,
    responses=problem_responses(401, 403, 404),
    summary="Read a passholder (audited)",
)
async def get_passholder(
    passholder_id: str, session: SessionDep, principal: Registry
) -> PassholderOut:
    return PassholderOut.of(await service.read_passholder(session, principal, passholder_id))


@router.patch(
    "/passholders/{passholder_id}",
    operation_id="updatePassholder",
    response_model=PassholderOut,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        422,
        codes={
            409: ("passholder-exists-elsewhere",),
            422: ("move-required", "municipality-ambiguous", "read-only-field"),
        },
    ),
    summary="Correct a passholder's data",
    description=(
        "A new postal code or municipality must lie in the passholder's own region "
        "(422 `move-required` otherwise: a move is POST /v1/passholders/{id}/move)."
    ),
)
async def patch_passholder(
    passholder_id: str,
    body: PassholderPatch,
    session: SessionDep,
    settings: SettingsDep,
    principal: Registry,
) -> PassholderOut:
    sent = body.model_fields_set - set(_ECHOED)
    requested: dict[str, Any] = {name: getattr(body, name) for name in sent}
    row = await service.correct_passholder(
        session,
        settings,
        principal,
        passholder_id,
        requested,
        lambda current: check_read_only(body, PassholderOut.of(current), PASSHOLDER_READ_ONLY),
    )
    return PassholderOut.of(row)


@router.post(
    "/passholders/{passholder_id}/move",
    operation_id="movePassholder",
    response_model=PassholderOut,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        422,
        codes={
            409: ("passholder-exists-elsewhere",),
            422: ("not-a-move", "municipality-ambiguous"),
        },
    ),
    summary="Move a passholder to another region (registry of the region they leave)",
    description=(
        "The person keeps their id, cards, history and usage and from now on belongs to the "
        "registry of the new region. The statuses the region left had granted end today, "
        "unless that region's `end_statuses_on_move` is false. Both regions' change feeds "
        "tell of it (`passholder.moved_out`, `passholder.moved_in`) and both regions' audit "
        "logs name the client that moved whom. A new residence in the same region is a "
        "correction (PATCH), not a move."
    ),
)
async def move_passholder(
    passholder_id: str, body: MoveIn, session: SessionDep, principal: Registry
) -> PassholderOut:
    row = await service.move_passholder(
        session,
        principal,
        passholder_id,
        postal_code=body.postal_code,
        municipality_nis=body.municipality_nis,
    )
    return PassholderOut.of(row)


@router.post(
    "/passholders/{passholder_id}/cards",
    operation_id="issueCard",
    status_code=201,
    response_model=CardOut,
    responses=problem_responses(401, 403, 404, 409, codes={409: ("card-already-active",)}),
    summary="Issue a card",
)
async def issue_card(passholder_id: str, session: SessionDep, principal: Registry) -> CardOut:
    return CardOut.of(await card_service.issue_card(session, principal, passholder_id))


@router.get(
    "/passholders/{passholder_id}/cards",
    operation_id="listCards",
    response_model=CardList,
    responses=problem_responses(401, 403, 404),
    summary="A passholder's cards, old ones included",
)
async def list_cards(passholder_id: str, session: SessionDep, principal: Registry) -> CardList:
    rows = await card_service.cards_of(session, principal, passholder_id)
    return CardList(items=[CardOut.of(row) for row in rows])


@router.post(
    "/cards/{number}/block",
    operation_id="blockCard",
    response_model=CardOut,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        codes={404: ("card-not-found",), 409: ("card-not-active",), 422: ("invalid-card-number",)},
    ),
    summary="Block a lost, stolen or defect card",
)
async def block_card(
    number: str, body: BlockIn, session: SessionDep, principal: Registry
) -> CardOut:
    return CardOut.of(await card_service.block_card(session, principal, number, body.reason))


@router.post(
    "/cards/{number}/replace",
    operation_id="replaceCard",
    status_code=201,
    response_model=CardOut,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        codes={
            404: ("card-not-found",),
            409: ("card-replaced", "card-not-active", "card-already-active"),
            422: ("invalid-card-number",),
        },
    ),
    summary="Replace a card: the new one keeps the passholder, history and usage",
)
async def replace_card(number: str, session: SessionDep, principal: Registry) -> CardOut:
    return CardOut.of(await card_service.replace_card(session, principal, number))


@router.post(
    "/passholders/{passholder_id}/entitlements",
    operation_id="grantEntitlement",
    status_code=201,
    response_model=EntitlementOut,
    responses=problem_responses(401, 403, 404, 409, codes={409: ("entitlement-exists",)}),
    summary="Grant or renew a status (a renewal is a new period linked by renews_id)",
)
async def grant_entitlement(
    passholder_id: str, body: EntitlementIn, session: SessionDep, principal: Registry
) -> EntitlementOut:
    _, view = await entitlement_service.grant_entitlement(
        session,
        principal,
        passholder_id,
        type_=body.type,
        region_id=body.region_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        evidence=body.evidence,
    )
    return EntitlementOut.of(view)


@router.get(
    "/passholders/{passholder_id}/entitlements",
    operation_id="listEntitlements",
    response_model=EntitlementList,
    responses=problem_responses(401, 403, 404),
    summary="A passholder's statuses with their status on a date (default: today)",
)
async def list_entitlements(
    passholder_id: str,
    session: SessionDep,
    principal: Registry,
    on: Annotated[IsoDate | None, Query()] = None,
) -> EntitlementList:
    day = on or today_in_brussels()
    views = await entitlement_service.list_entitlements(session, principal, passholder_id, day)
    return EntitlementList(on=day, items=[EntitlementOut.of(view) for view in views])


@router.post(
    "/passholders/{passholder_id}/entitlements/{entitlement_id}/suspend",
    operation_id="suspendEntitlement",
    response_model=EntitlementOut,
    responses=problem_responses(401, 403, 404, 409, codes={409: ("entitlement-ended",)}),
    summary="Suspend a status until a date",
)
async def suspend_entitlement(
    passholder_id: str,
    entitlement_id: str,
    body: SuspendIn,
    session: SessionDep,
    principal: Registry,
) -> EntitlementOut:
    view = await entitlement_service.suspend_entitlement(
        session, principal, passholder_id, entitlement_id, body.until
    )
    return EntitlementOut.of(view)


@router.post(
    "/passholders/{passholder_id}/entitlements/{entitlement_id}/end",
    operation_id="endEntitlement",
    response_model=EntitlementOut,
    responses=problem_responses(401, 403, 404, 409, codes={409: ("entitlement-ended",)}),
    summary="End a status on a date",
)
async def end_entitlement(
    passholder_id: str,
    entitlement_id: str,
    body: EndIn,
    session: SessionDep,
    principal: Registry,
) -> EntitlementOut:
    view = await entitlement_service.end_entitlement(
        session, principal, passholder_id, entitlement_id, body.on
    )
    return EntitlementOut.of(view)
