"""Who may do what, for which tenant: roles and grants, with no framework attached.

A grant is a role on one tenant: `admin` on everything, `region_admin`, `registry` and
`reporter` on one region, `partner_admin` and `desk` on one partner, `organisation` (a social
worker of a social organisation, association or school) on one organisation. Access needs
the role *and* the tenant: a desk of partner A is no desk of partner B, and a social worker
of organisation A sees nothing of organisation B.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    REGION_ADMIN = "region_admin"
    REGISTRY = "registry"
    REPORTER = "reporter"
    PARTNER_ADMIN = "partner_admin"
    DESK = "desk"
    ORGANISATION = "organisation"


REGION_ROLES = frozenset({Role.REGION_ADMIN, Role.REGISTRY, Role.REPORTER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.DESK})
ORGANISATION_ROLES = frozenset({Role.ORGANISATION})


class GrantError(ValueError):
    """A grant names the wrong kind of tenant for its role."""


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    region_id: str | None = None
    partner_id: str | None = None
    organisation_id: str | None = None

    def __post_init__(self) -> None:
        if self.role is Role.ADMIN and (self.region_id or self.partner_id or self.organisation_id):
            raise GrantError("an admin grant takes no region_id, partner_id or organisation_id")
        if self.role in REGION_ROLES and (
            not self.region_id or self.partner_id or self.organisation_id
        ):
            raise GrantError(f"a {self.role} grant needs a region_id and no other tenant")
        if self.role in PARTNER_ROLES and (
            not self.partner_id or self.region_id or self.organisation_id
        ):
            raise GrantError(f"a {self.role} grant needs a partner_id and no other tenant")
        if self.role in ORGANISATION_ROLES and (
            not self.organisation_id or self.region_id or self.partner_id
        ):
            raise GrantError(f"an {self.role} grant needs an organisation_id and no other tenant")


@dataclass(frozen=True, slots=True)
class Tenant:
    """The tenant a resource belongs to: its region, and its partner or organisation when
    it has one."""

    region_id: str | None = None
    partner_id: str | None = None
    organisation_id: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated API client making the request."""

    client_id: str
    grants: tuple[Grant, ...]

    def has_role(self, roles: Iterable[Role]) -> bool:
        wanted = set(roles)
        return any(g.role is Role.ADMIN or g.role in wanted for g in self.grants)

    def may(self, roles: Iterable[Role], tenant: Tenant) -> bool:
        """True when one grant has one of `roles` (or admin) on `tenant`.

        A region role covers everything in its region, partners and organisations included;
        a partner role covers only its own partner, an organisation role its own organisation.
        """
        wanted = set(roles)
        for grant in self.grants:
            if grant.role is Role.ADMIN:
                return True
            if grant.role not in wanted:
                continue
            if grant.role in REGION_ROLES and tenant.region_id == grant.region_id:
                return True
            if grant.role in PARTNER_ROLES and tenant.partner_id == grant.partner_id:
                return True
            if (
                grant.role in ORGANISATION_ROLES
                and tenant.organisation_id is not None
                and tenant.organisation_id == grant.organisation_id
            ):
                return True
        return False

    def region_ids(self, roles: Iterable[Role]) -> frozenset[str]:
        wanted = set(roles)
        return frozenset(
            g.region_id for g in self.grants if g.role in wanted and g.region_id is not None
        )

    def partner_ids(self, roles: Iterable[Role]) -> frozenset[str]:
        wanted = set(roles)
        return frozenset(
            g.partner_id for g in self.grants if g.role in wanted and g.partner_id is not None
        )

    def organisation_ids(self, roles: Iterable[Role]) -> frozenset[str]:
        wanted = set(roles)
        return frozenset(
            g.organisation_id
            for g in self.grants
            if g.role in wanted and g.organisation_id is not None
        )

    @property
    def is_admin(self) -> bool:
        return any(g.role is Role.ADMIN for g in self.grants)
