"""What publishing would do, shown before the click: the rehearsal makes exactly what publishing then makes, and
leaves nothing behind — no result published, no award, no standing, no audit row, no notification, no moment
stamped."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bastion import demo
from bastion.core import lifecycle, scoring
from bastion.core.models import AuditEvent, Evaluation, Incentive, Notification, Standing
from bastion.core.results import read_incentives, read_results

pytestmark = pytest.mark.storage


def _counts(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(table)).scalar()
                     for table in (Incentive, Standing, AuditEvent, Notification)) + (
            conn.execute(select(func.count()).where(Evaluation.published_at.is_not(None))).scalar(),)


def test_the_rehearsal_shows_what_publishing_makes_and_leaves_nothing(engine, registry):
    sample = demo.build_sample(engine, registry=registry, branches=10, seed=11, year=2025)
    scoring.score_period(engine, cycle=sample.cycle, period_key="2025", registry=registry, actor="test")
    before = _counts(engine)

    shown = scoring.rehearse_publication(engine, cycle=sample.cycle, period_key="2025", registry=registry,
                                         actor="leader")

    assert _counts(engine) == before
    with engine.connect() as conn:
        assert lifecycle.state(conn, sample.cycle.id, "2025") == lifecycle.DRAFT
    assert shown.state == "draft" and len(shown.results) == 10 and len(shown.awards) > 0
    awarded = scoring.publish_period(engine, cycle=sample.cycle, period_key="2025", registry=registry, actor="leader")
    with engine.connect() as conn:
        made = read_incentives(conn, sample.cycle.id, "2025")
        published = read_results(conn, sample.cycle.id, "2025")
    assert awarded == len(shown.awards)
    key = ["org_id", "policy", "code", "kind", "title"]
    assert made[key].sort_values(key).reset_index(drop=True).equals(shown.awards[key].sort_values(key)
                                                                    .reset_index(drop=True))
    assert published[["org_id", "total", "grade", "rank", "tier"]].equals(
        shown.results[["org_id", "total", "grade", "rank", "tier"]])
    with pytest.raises(lifecycle.AlreadyDone):
        scoring.rehearse_publication(engine, cycle=sample.cycle, period_key="2025", registry=registry, actor="x")
