"""A small tree with people on it, for the access tests of the inspection and administration functions.

``DW`` (committee) → ``ZZ1`` (general branch) → branches ``A``, ``B``; ``DW`` → ``ZZ2`` → branch ``C``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from bastion.core import users
from bastion.core.access import Principal
from bastion.core.db import transaction
from bastion.core.models import Organization, Tenant

PASSWORD = "A-long-password"



TREE = (("DW", None, "committee"), ("ZZ1", "DW", "general_branch"), ("A", "ZZ1", "branch"),
        ("B", "ZZ1", "branch"), ("ZZ2", "DW", "general_branch"), ("C", "ZZ2", "branch"))


def tree(engine: Engine, tenant: Tenant) -> dict[str, int]:
    """The tree above for ``tenant``; returns code → id."""
    ids: dict[str, int] = {}
    with transaction(engine) as session:
        for code, parent, level in TREE:
            org = Organization(tenant_id=tenant.id, code=code, name=f"{code}党组织", level=level,
                               parent_id=None if parent is None else ids[parent], category="机关",
                               secretary=f"{code}书记", secretary_term_start=date(2024, 1, 1),
                               secretary_term_end=date(2028, 12, 31), member_count=10)
            session.add(org)
            session.flush()
            ids[code] = org.id
    return ids


def person(engine: Engine, tenant: Tenant, username: str, *grants: tuple[str, str]) -> Principal:
    """A user with ``grants`` as (role, org code), as a login would give it."""
    with transaction(engine) as session:
        user = users.create_user(session, tenant=tenant, username=username, password=PASSWORD,
                                 display_name=username, grants=grants, actor="test")
        return users.principal_of(session, user)


def get_org(engine: Engine, tenant: Tenant, code: str) -> Organization:
    with Session(engine) as session:
        return session.exec(select(Organization).where(Organization.tenant_id == tenant.id,
                                                       Organization.code == code)).one()
