"""The demo: two real pass regions (Kortrijk and Brugge), partners and one client per role.

Ids are derived from names (UUID v5), so the README can list them and a second run finds
everything in place and adds nothing. Demo credentials exist only in demo mode.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import BRUSSELS, today_in_brussels, utcnow
from app.db import clients as db_clients
from app.db import groups as db_groups
from app.db import offers as db_offers
from app.db import organisations as db_organisations
from app.db import partners as db_partners
from app.db import passholders as db_passholders
from app.db import regions as db_regions
from app.db import staff as db_staff
from app.db.offers import PriceClassRow
from app.db.regions import MunicipalityRow
from app.domain.access import Grant, Principal, Role
from app.domain.cards import new_card_number
from app.domain.vouchers import OrganisationKind
from app.services.cards import issue_card
from app.services.catalog_files import load_scheme_files
from app.services.clients import create_client
from app.services.entitlements import grant_entitlement
from app.services.offers import NewOffer, create_offer
from app.services.organisations import create_allocation, create_organisation
from app.services.partners import create_partner
from app.services.passholders import PassholderInput, register_passholder
from app.services.regions import create_region
from app.services.schemes import import_definitions
from app.services.staff import DEMO_STAFF_DOMAIN, activate, create_staff
from app.settings import Settings

CATALOG_DIR = Path(__file__).resolve().parents[2] / "catalog"
DEMO_NAMESPACE = uuid.UUID("6f0c8a4e-2d57-4c36-9d0e-6f70656e7061")


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True)
class DemoRegion:
    code: str
    name: str
    grace_days: int
    municipalities: tuple[MunicipalityRow, ...]


REGIONS = (
    DemoRegion(
        "REGIO_KORTRIJK",
        "UiTPAS Regio Kortrijk",
        30,
        (
            MunicipalityRow("34002", "Anzegem", ("8570", "8572", "8573")),
            MunicipalityRow("34003", "Avelgem", ("8580", "8581", "8582", "8583")),
            MunicipalityRow("34009", "Deerlijk", ("8540",)),
            MunicipalityRow("34013", "Harelbeke", ("8530", "8531")),
            MunicipalityRow("34022", "Kortrijk", ("8500", "8501", "8510", "8511")),
            MunicipalityRow("34023", "Kuurne", ("8520",)),
            MunicipalityRow("34025", "Lendelede", ("8860",)),
            MunicipalityRow("34027", "Menen", ("8930",)),
            MunicipalityRow("34040", "Waregem", ("8790", "8791", "8792", "8793")),
            MunicipalityRow("34041", "Wevelgem", ("8560",)),
            MunicipalityRow("34042", "Zwevegem", ("8550", "8551", "8552", "8553", "8554")),
            MunicipalityRow("34043", "Spiere-Helkijn", ("8587",)),
            MunicipalityRow("33029", "Wervik", ("8940",)),
            MunicipalityRow("36011", "Ledegem", ("8880",)),
        ),
    ),
    DemoRegion(
        "BRUGGE",
        "UiTPAS Brugge",
        0,
        (MunicipalityRow("31005", "Brugge", ("8000", "8200", "8310", "8380")),),
    ),
)


@dataclass(frozen=True)
class DemoPartner:
    key: str
    name: str
    region_code: str
    municipality_nis: str
    categories: tuple[str, ...]


PARTNERS = (
    DemoPartner(
        "schouwburg-kortrijk", "Schouwburg Kortrijk", "REGIO_KORTRIJK", "34022", ("podium",)
    ),
    DemoPartner("kv-kortrijk", "KV Kortrijk", "REGIO_KORTRIJK", "34022", ("sport",)),
    DemoPartner("zwembad-harelbeke", "Zwembad Harelbeke", "REGIO_KORTRIJK", "34013", ("sport",)),
    DemoPartner(
        "concertgebouw-brugge", "Concertgebouw Brugge", "BRUGGE", "31005", ("muziek", "podium")
    ),
    DemoPartner("musea-brugge", "Musea Brugge", "BRUGGE", "31005", ("museum",)),
)


@dataclass(frozen=True)
class DemoOffer:
    key: str
    partner_key: str
    title: str
    category: str
    kind: str
    # A one-off activity takes place this many days after the demo was seeded.
    days_ahead: int | None
    price_classes: tuple[tuple[str, str, int], ...]
    # An open-price offer's maximum: the club's webshop prices each seat itself.
    max_price_cents: int | None = None


OFFERS = (
    DemoOffer(
        "kersentuin",
        "schouwburg-kortrijk",
        "De Kersentuin (toneel)",
        "podium",
        "one_off",
        30,
        (("standard", "Standaard", 2_200), ("reduced", "-26 jaar", 1_800)),
    ),
    DemoOffer(
        "kv-seizoen",
        "kv-kortrijk",
        "Seizoensabonnement KV Kortrijk",
        "sport",
        "period",
        None,
        (("standard", "Staanplaats", 11_900),),
    ),
    DemoOffer(
        "kv-wedstrijd",
        "kv-kortrijk",
        "Wedstrijdticket KV Kortrijk (webshop)",
        "sport",
        "permanent",
        None,
        (("standard", "Zitplaats", 2_500),),
        max_price_cents=6_000,
    ),
    DemoOffer(
        "zwembeurt",
        "zwembad-harelbeke",
        "Zwembeurt",
        "sport",
        "permanent",
        None,
        (("standard", "Volwassene", 450), ("child", "Kind", 300)),
    ),
    DemoOffer(
        "kamerorkest",
        "concertgebouw-brugge",
        "Brugs Kamerorkest",
        "muziek",
        "one_off",
        45,
        (("standard", "Standaard", 3_000),),
    ),
    DemoOffer(
        "groeninge",
        "musea-brugge",
        "Groeningemuseum",
        "museum",
        "permanent",
        None,
        (("standard", "Volwassene", 1_500), ("child", "Kind", 0)),
    ),
)


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    name: str
    role: Role
    region_code: str | None = None
    partner_key: str | None = None

    @property
    def secret(self) -> str:
        return f"{self.client_id}-secret"


CLIENTS = (
    DemoClient("demo-admin", "Demo admin", Role.ADMIN),
    DemoClient(
        "demo-region-admin",
        "Demo region admin Kortrijk",
        Role.REGION_ADMIN,
        region_code="REGIO_KORTRIJK",
    ),
    DemoClient("demo-registry", "Demo OCMW Kortrijk", Role.REGISTRY, region_code="REGIO_KORTRIJK"),
    DemoClient("demo-registry-brugge", "Demo OCMW Brugge", Role.REGISTRY, region_code="BRUGGE"),
    DemoClient(
        "demo-reporter", "Demo reporter Kortrijk", Role.REPORTER, region_code="REGIO_KORTRIJK"
    ),
    DemoClient(
        "demo-partner-admin",
        "Demo partner admin Schouwburg Kortrijk",
        Role.PARTNER_ADMIN,
        partner_key="schouwburg-kortrijk",
    ),
    DemoClient(
        "demo-desk", "Demo desk Schouwburg Kortrijk", Role.DESK, partner_key="schouwburg-kortrijk"
    ),
    DemoClient("demo-desk-kv", "Demo desk KV Kortrijk", Role.DESK, partner_key="kv-kortrijk"),
    DemoClient(
        "demo-desk-brugge",
        "Demo desk Concertgebouw Brugge",
        Role.DESK,
        partner_key="concertgebouw-brugge",
    ),
)


@dataclass(frozen=True)
class DemoHolder:
    key: str
    first_name: str
    last_name: str
    birth_date: date
    postal_code: str
    municipality_nis: str
    # (type, region code or None for everywhere)
    statuses: tuple[tuple[str, str | None], ...]

    @property
    def card_number(self) -> str:
        digits = f"{demo_id('card', self.key).int % 10**12:012d}"
        return new_card_number(digits)

    @property
    def insz(self) -> str:
        """A synthetic, valid INSZ for this demo person (no real person has it)."""
        body = f"{self.birth_date:%y%m%d}{demo_id('insz', self.key).int % 997 + 1:03d}"
        base = int(("2" if self.birth_date.year >= 2000 else "") + body)
        return f"{body}{97 - base % 97:02d}"


HOLDERS = (
    DemoHolder(
        "sofie",
        "Sofie",
        "Desmet",
        date(1985, 7, 30),
        "8500",
        "34022",
        (("kansenstatuut", "REGIO_KORTRIJK"),),
    ),
    DemoHolder(
        "mohamed",
        "Mohamed",
        "El Amrani",
        date(2015, 3, 12),
        "8530",
        "34013",
        (("kansenstatuut", "REGIO_KORTRIJK"),),
    ),
    DemoHolder("els", "Els", "Vandenberghe", date(1950, 11, 2), "8520", "34023", ()),
    DemoHolder(
        "tom",
        "Tom",
        "Claeys",
        date(1979, 4, 18),
        "8500",
        "34022",
        (("european_disability_card", None),),
    ),
    DemoHolder(
        "an",
        "An",
        "Peeters",
        date(1988, 1, 25),
        "8550",
        "34042",
        (("kansenstatuut", "REGIO_KORTRIJK"), ("large_family", None)),
    ),
    DemoHolder(
        "lotte", "Lotte", "Maes", date(1992, 9, 14), "8000", "31005", (("kansenstatuut", "BRUGGE"),)
    ),
    DemoHolder(
        "jonas",
        "Jonas",
        "Wouters",
        date(2012, 6, 1),
        "8310",
        "31005",
        (("kansenstatuut", "BRUGGE"),),
    ),
)


@dataclass(frozen=True)
class DemoStaff:
    """A person who logs in to /desk/ or /dashboard/; the password is in the README."""

    key: str
    name: str
    role: Role
    region_code: str | None = None
    partner_key: str | None = None

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_STAFF_DOMAIN}"

    @property
    def password(self) -> str:
        return f"demo-{self.key}-wachtwoord"


STAFF = (
    DemoStaff("balie-schouwburg", "Bart Balie", Role.DESK, partner_key="schouwburg-kortrijk"),
    DemoStaff("balie-zwembad", "Zoë Zwembad", Role.DESK, partner_key="zwembad-harelbeke"),
    DemoStaff(
        "beheer-schouwburg", "Petra Beheer", Role.PARTNER_ADMIN, partner_key="schouwburg-kortrijk"
    ),
    DemoStaff("cijfers-kortrijk", "Rita Cijfers", Role.REPORTER, region_code="REGIO_KORTRIJK"),
    DemoStaff("regio-kortrijk", "Koen Regio", Role.REGION_ADMIN, region_code="REGIO_KORTRIJK"),
)


async def _seed_staff(session: AsyncSession) -> list[str]:
    created: list[str] = []
    for member in STAFF:
        if await db_staff.staff_by_email(session, member.email) is not None:
            continue
        new = await create_staff(
            session,
            system_principal(),
            name=member.name,
            email=member.email,
            role=member.role,
            region_id=str(demo_id("region", member.region_code)) if member.region_code else None,
            partner_id=str(demo_id("partner", member.partner_key)) if member.partner_key else None,
            staff_id=demo_id("staff", member.key),
        )
        await activate(session, token=new.activation_token, password=member.password)
        created.append(f"staff {member.email}")
    return created


async def seed_demo(session: AsyncSession, settings: Settings) -> list[str]:
    """Create whatever of the demo is missing; returns what was created."""
    created: list[str] = []
    for region in REGIONS:
        if await db_regions.region_id_by_code(session, region.code) is None:
            await create_region(
                session,
                region_id=demo_id("region", region.code),
                code=region.code,
                name=region.name,
                status_grace_days=region.grace_days,
                default_status_end="04-30",
                municipality_rows=region.municipalities,
            )
            created.append(f"region {region.code}")
    for partner in PARTNERS:
        partner_id = demo_id("partner", partner.key)
        if not await db_partners.existing_partner_ids(session, [partner_id]):
            await create_partner(
                session,
                partner_id=partner_id,
                name=partner.name,
                region_id=demo_id("region", partner.region_code),
                municipality_nis=partner.municipality_nis,
                categories=list(partner.categories),
            )
            created.append(f"partner {partner.name}")
    for client in CLIENTS:
        if await db_clients.client_exists(session, client.client_id):
            continue
        grant = Grant(
            role=client.role,
            region_id=str(demo_id("region", client.region_code)) if client.region_code else None,
            partner_id=str(demo_id("partner", client.partner_key)) if client.partner_key else None,
        )
        await create_client(
            session,
            name=client.name,
            grants=[grant],
            client_id=client.client_id,
            client_secret=client.secret,
        )
        created.append(f"client {client.client_id}")
    created += await _seed_holders(session, settings)
    created += await _seed_offers(session)
    created += await _seed_staff(session)
    created += await import_definitions(
        session, system_principal(), load_scheme_files([CATALOG_DIR])
    )
    created += await _seed_organisations(session)
    return created


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    region_code: str
    kind: OrganisationKind
    # A yearly allocation this calendar year: (scheme code, tickets), or none.
    allocation: tuple[str, int] | None
    # Its social worker's demo client.
    client_id: str
    # A group card (groepspas) with this label, numbered DEMO_GROUP_CARD; or none.
    group_card: str | None = None


# The demo school's group card: a fixed number, so the README's walk-through can use it.
DEMO_GROUP_CARD = new_card_number("880000000017")


ORGANISATIONS = (
    DemoOrganisation(
        "welzijnsschakel-kortrijk",
        "Welzijnsschakel De Brug Kortrijk",
        "REGIO_KORTRIJK",
        OrganisationKind.SOCIAL,
        ("ARTIKEL_27_BON", 200),
        "demo-organisation",
    ),
    DemoOrganisation(
        "school-de-vlieger",
        "Basisschool De Vlieger Harelbeke",
        "REGIO_KORTRIJK",
        OrganisationKind.SCHOOL,
        ("GROEPSPAS_SCHOOL", 120),
        "demo-school",
        group_card="Klas 5B",
    ),
)


async def _seed_organisations(session: AsyncSession) -> list[str]:
    """A Kortrijk welzijnsschakel with an Article 27 voucher allocation for this year, a
    school with a group card and a group-pass allocation for this year, and a social
    worker's client for each."""
    system = system_principal()
    year = today_in_brussels().year
    created: list[str] = []
    for organisation in ORGANISATIONS:
        organisation_id = demo_id("organisation", organisation.key)
        if await db_organisations.get_organisation(session, organisation_id) is not None:
            continue
        await create_organisation(
            session,
            system,
            region_id=str(demo_id("region", organisation.region_code)),
            name=organisation.name,
            kind=organisation.kind,
            organisation_id=organisation_id,
        )
        if organisation.allocation is not None:
            scheme_code, tickets = organisation.allocation
            await create_allocation(
                session,
                system,
                str(organisation_id),
                scheme_code=scheme_code,
                valid_from=date(year, 1, 1),
                valid_until=date(year, 12, 31),
                tickets=tickets,
                budget_cents=None,
                allocation_id=demo_id("allocation", organisation.key),
            )
        if organisation.group_card is not None:
            await db_groups.insert_group_card(
                session,
                number=DEMO_GROUP_CARD,
                organisation_id=str(organisation_id),
                label=organisation.group_card,
                issued_by=system.client_id,
                now=utcnow(),
            )
        if not await db_clients.client_exists(session, organisation.client_id):
            await create_client(
                session,
                name=f"Demo social worker {organisation.name}",
                grants=[Grant(Role.ORGANISATION, organisation_id=str(organisation_id))],
                client_id=organisation.client_id,
                client_secret=f"{organisation.client_id}-secret",
            )
        created.append(f"organisation {organisation.name}")
    return created


async def _seed_offers(session: AsyncSession) -> list[str]:
    created: list[str] = []
    now = utcnow()
    for offer in OFFERS:
        offer_id = demo_id("offer", offer.key)
        if await db_offers.get_offer(session, offer_id) is not None:
            continue
        starts_at = None
        if offer.days_ahead is not None:
            day = (now + timedelta(days=offer.days_ahead)).date()
            starts_at = datetime.combine(day, time(20, 0), tzinfo=BRUSSELS)
        await create_offer(
            session,
            system_principal(),
            str(demo_id("partner", offer.partner_key)),
            NewOffer(
                title=offer.title,
                category=offer.category,
                kind=offer.kind,
                starts_at=starts_at,
                ends_at=None,
                external_ref=None,
                price_classes=tuple(PriceClassRow(*pc) for pc in offer.price_classes),
                open_price=offer.max_price_cents is not None,
                max_price_cents=offer.max_price_cents,
            ),
            offer_id=offer_id,
        )
        created.append(f"offer {offer.title}")
    return created


def system_principal() -> Principal:
    return Principal(client_id="demo-seed", grants=(Grant(Role.ADMIN),))


async def _seed_holders(session: AsyncSession, settings: Settings) -> list[str]:
    system = system_principal()
    today = today_in_brussels()
    created: list[str] = []
    for holder in HOLDERS:
        if await db_passholders.card_number_taken(session, holder.card_number):
            continue
        row = await register_passholder(
            session,
            settings,
            system,
            PassholderInput(
                first_name=holder.first_name,
                last_name=holder.last_name,
                birth_date=holder.birth_date,
                postal_code=holder.postal_code,
                municipality_nis=holder.municipality_nis,
                insz=holder.insz,
            ),
        )
        await issue_card(session, system, row.id, number=holder.card_number)
        for type_, region_code in holder.statuses:
            await grant_entitlement(
                session,
                system,
                row.id,
                type_=type_,
                region_id=str(demo_id("region", region_code)) if region_code else None,
                valid_from=date(today.year, 1, 1),
                valid_until=None,
                evidence="demo",
            )
        created.append(f"passholder {holder.first_name} {holder.last_name[0]}.")
    return created
