"""Every kind of change the demo makes is in the audit trail, and the trail's chain holds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import SQLModel

from bastion.core import audit, db
from bastion.core.models import AuditEvent
from bastion.core.settings import Settings

from .conftest import bastion

#: table → the audit (entity, action) pairs any one of which records how its rows came to be (None: any action)
AUDITED_AS: dict[str, set[tuple[str, str | None]]] = {
    "tenant": {("tenant", "create")},
    "tenantplugin": {("tenant", None)},
    "organization": {("organization", None), ("organizations", "import")},
    "cycle": {("cycle", "open")},
    "indicator": {("cycle", "open")},
    "target": {("cycle", "open"), ("target", "adjust")},
    "ledgerentry": {("ledger", "import"), ("ledger_entry", None)},
    "finding": {("findings", "import"), ("finding", None)},
    "check": {("findings", "import"), ("check", None), ("spot_check", "draw")},
    "rating": {("ratings", "import"), ("ballot_round", "close"), ("self_assessment", None)},
    "evaluation": {("cycle", "score")},
    "evaluationline": {("cycle", "score")},
    "blocksubtotal": {("cycle", "score")},
    "orgsnapshot": {("cycle", "score")},
    "incentive": {("cycle", "publish")},
    "standing": {("standings", "decide"), ("standings", "redecide"), ("standing", "set")},
    "rectification": {("rectification", "issue")},
    "bulletin": {("bulletin", "issue")},
    "supersededbulletin": {("bulletin", "reissue")},
    "user": {("user", "create")},
    "grant": {("user", "grant"), ("user", "create")},
    "ballot_round": {("ballot_round", "open")},
    "ballot_entitlement": {("ballot_round", "open")},
    "ballot_code": {("ballot_round", "issue")},
    "cast_ballot": {("ballot_round", "cast")},
    "member_grade": {("ballot_round", "close")},
    "member_duty": {("member_duty", None)},
    "tenant_scheme": {("scheme", "adopt")},
    "appeal": {("appeal", None)},
    "channel_setting": {("channel", "update")},
    "duty_record": {("duty_record", "record")},
    "responsibility_item": {("responsibility_item", None)},
    "responsibility_tick": {("responsibility_tick", "record")},
    "evidence": {("evidence", "upload")},
    "reviewcomment": {("organization", "review")},
    "login_session": {("session", "login")},
    "import_record": {(kind, "import") for kind in ("organizations", "ledger", "findings", "ratings", "restructure")},
    "restructuring": {("restructuring", "restructure")},
    "orglineage": {("restructuring", "restructure")},
    "member": {("member", None), ("members", "import")},
    "membertransfer": {("member", "create"), ("member", "transfer"), ("member", "deactivate"), ("members", "import")},
}
#: tables that are records of the machinery, not of the assessment: what the machinery changed is audited
NOT_AUDITED = {
    "auditevent": "the trail itself",
    "stagerun": "the calendar's own record of each run; what a run changes is audited by the step",
    "lease": "who holds a lock right now: gone when the work is done",
    "login_failure": "the failed logins counted towards a lockout; each failure is audited as login_failed",
    "alembic_version": "the schema's revision",
    "notification": "the outbox: written in the transaction of the audited change that causes it (a publication, "
                    "a decision) or planned from the calendar; its delivery is the machinery's own record",
}


def test_every_table_the_demo_writes_is_audited_and_the_chain_holds(in_demo):
    engine = db.connect(Settings.from_env())
    tables = set(SQLModel.metadata.tables)
    assert tables - set(AUDITED_AS) - set(NOT_AUDITED) == set(), "a new table: say how its changes are audited"
    with engine.connect() as conn:
        events = {(e, a) for e, a in conn.execute(select(AuditEvent.entity, AuditEvent.action).distinct())}
        written = {name for name in AUDITED_AS
                   if conn.execute(select(func.count()).select_from(SQLModel.metadata.tables[name])).scalar()}
        missing = {name: AUDITED_AS[name] for name in written
                   if not any((entity, action) in events or (action is None and any(e == entity for e, _ in events))
                              for entity, action in AUDITED_AS[name])}
        assert written >= {"organization", "ledgerentry", "evaluation", "incentive", "rectification", "bulletin",
                           "ballot_round", "ballot_code", "cast_ballot", "user"}
        assert missing == {}
        assert audit.verify(conn, every_tenant=True).intact
    engine.dispose()
    assert "none changed or removed" in bastion("audit", "verify", "--all").output  # the tests read English
