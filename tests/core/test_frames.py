"""Frames read for people: NULL text is "", NULL numbers stay missing."""

from datetime import date

from sqlalchemy import select

from bastion.core.frames import read_frame
from bastion.core.models import LedgerEntry
from tests import factories


def test_null_text_reads_as_empty_and_null_numbers_as_missing(engine, registry):
    tenant = factories.tenant(engine, registry)
    orgs = factories.org_tree(engine, tenant, {"ZB1": "第一党支部"})
    e = LedgerEntry.__table__.c
    with engine.begin() as conn:
        conn.execute(LedgerEntry.__table__.insert(), [
            {"tenant_id": tenant.id, "org_id": orgs["ZB1"], "type": "study", "date": date(2025, 3, 1), "title": "学习",
             "source": None, "quantity": None, "recorded_by": "t"}])
        frame = read_frame(select(e.title, e.source, e.quantity, e.date), conn)
    assert frame.loc[0, "source"] == ""
    assert frame.loc[0, "title"] == "学习"
    assert frame["quantity"].isna().all()
