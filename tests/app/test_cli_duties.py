"""``bastion duties`` and ``bastion lists``: a secretary keeps her members' duties and ticks her list, the office
keeps the list's items, from the command line as each of them."""

from __future__ import annotations

import json
from datetime import date

from bastion.core import db
from bastion.core.settings import Settings
from tests.app.conftest import bastion
from tests.app.test_cli_ballots import a_tenant
from tests.core.people import person


def test_duties_and_a_list_are_kept_and_recorded_from_the_command_line(home, registry, tmp_path):
    a_tenant(registry, tmp_path)
    store = db.connect(Settings.from_env())
    try:
        from bastion.core.tenants import lookup_tenant

        person(store, lookup_tenant(store, None), "sec_a", ("secretary", "A"))
    finally:
        store.dispose()
    year, today = str(date.today().year), date.today().isoformat()
    assert "duty 1 set for DY01" in bastion("duties", "set", "--as", "sec_a", "-m", "DY01", "-k", "post",
                                            "--text", "负责组织生活记录", "--year", year).output
    bad = bastion("duties", "set", "--as", "sec_a", "-m", "DY01", "-k", "boss", "--text", "x", ok=False)
    assert bad.exit_code == 1 and "kind: 'boss' is not one of" in bad.output
    assert "not" in bastion("duties", "set", "--as", "sec_a", "-m", "DY04", "-k", "post", "--text", "B 的党员",
                            ok=False).output  # DY04 is B's: not hers
    bastion("duties", "record", "--as", "sec_a", "--duty", "1", "--on", today, "--note", "本月记录完整")
    listed = json.loads(bastion("duties", "list", "--as", "sec_a", "-o", "A", "--year", year, "--format", "json").output)
    assert [(d["member_code"], d["kind"], d["fulfilled"]) for d in listed] == [("DY01", "post", 1)]

    refused = bastion("lists", "add", "--as", "sec_a", "-o", "A", "--text", "每月召开支委会", ok=False)
    assert refused.exit_code == 1  # the office keeps the list's items
    bastion("lists", "add", "--as", "admin", "-o", "A", "--text", "每月召开支委会", "--year", year)
    bastion("lists", "tick", "--as", "sec_a", "--item", "1", "--on", today, "--evidence", "支委会纪要")
    shown = json.loads(bastion("lists", "show", "--as", "sec_a", "-o", "A", "--year", year, "--format", "json").output)
    assert [(i["text"], i["ticks"], i["evidence"]) for i in shown] == [("每月召开支委会", 1, "支委会纪要")]
