"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bastion import demo
from bastion.core import scoring, users


@pytest.fixture
def published(engine, registry):
    """The demo's sample (10 branches) with its 2025 year scored and published (today), and one user per role —
    the secretary is the first branch's."""
    sample = demo.build_sample(engine, registry=registry, branches=10, seed=11, year=2025)
    scoring.score_period(engine, cycle=sample.cycle, period_key="2025", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=sample.cycle, period_key="2025", registry=registry, actor="test")
    demo.demo_users(engine, sample.tenant)
    with Session(engine) as session:
        people = {name: users.principal_of(session, users.find_user(session, sample.tenant.id, name))
                  for name in ("admin", "leader", "secretary", "inspector")}
    return sample, people
