"""Role-and-tenant checks for use cases whose tenant is only known after a load."""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.access import Principal, Role, Tenant
from app.errors import Forbidden, NotFound


def ensure(principal: Principal, roles: Iterable[Role], tenant: Tenant, *, hide: bool) -> None:
    """Raise unless `principal` has one of `roles` on `tenant`.

    With `hide` another tenant's resource answers 404, as if it did not exist: a registry of
    one region must not learn who is registered in another.
    """
    if principal.may(roles, tenant):
        return
    if hide:
        raise NotFound("No such resource.")
    raise Forbidden("This resource belongs to another tenant.")
