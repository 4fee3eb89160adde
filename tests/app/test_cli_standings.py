"""``bastion standings``: list, history, relapses and a standing set by hand; ``results`` carries the standing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bastion.core import db, scoring
from bastion.core.settings import Settings
from tests import factories
from tests.app.conftest import bastion
from tests.core.people import person


def graded_and_relapsed(registry) -> None:
    """Five branches on the responsibility-system scheme: 2026 graded (A first, E last), then A relapses in 2027-Q1."""
    store = db.connect(Settings.from_env())
    try:
        tenant = factories.tenant(store, registry, plugins=("standard-rules", "standard-ledgers",
                                                            "responsibility-system"))
        ids = factories.org_tree(store, tenant, dict.fromkeys("ABCDE", "机关"))
        for year, period, published, found in ((2026, "2026", datetime(2027, 1, 15, 1, tzinfo=UTC),
                                                {"B": 1, "C": 2, "D": 3, "E": 4}),
                                               (2027, "2027-Q1", datetime(2027, 4, 5, 1, tzinfo=UTC), {"A": 5})):
            cycle = factories.cycle(store, registry, tenant, year=year, scheme_id="responsibility-system")
            factories.a_year_of_work(store, tenant, ids, year)
            factories.findings(store, tenant, ids, date(year, 2, 1), **found)
            scoring.score_period(store, cycle=cycle, period_key=period, registry=registry, actor="test")
            scoring.publish_period(store, cycle=cycle, period_key=period, registry=registry, actor="test",
                                   now=published)
        person(store, tenant, "admin", ("admin", "DW"))
    finally:
        store.dispose()


def test_standings_are_listed_set_by_hand_and_their_history_kept(home, registry):
    graded_and_relapsed(registry)
    now = {r["org_code"]: r for r in json.loads(bastion("standings", "list", "--format", "json").stdout)}
    assert {code: r["standing"] for code, r in now.items()} == {"A": "三星", "B": "三星", "C": "三星", "D": "三星",
                                                                 "E": "二星"}
    assert (now["A"]["kind"], now["A"]["period"], now["A"]["since"]) == ("relapse", "2027-Q1", "2027-04-05")
    after_2026 = json.loads(bastion("standings", "list", "--year", "2026", "--format", "json").stdout)
    assert {r["org_code"]: r["standing"] for r in after_2026}["A"] == "四星"
    table = " ".join(bastion("standings", "list").stdout.split())
    assert "五星 0, 四星 0, 三星 4, 二星 1, 一星 0" in table

    relapses = json.loads(bastion("standings", "relapses", "--format", "json").stdout)
    assert [(r["org_code"], r["previous"], r["standing"]) for r in relapses] == [("A", "四星", "三星")]

    out = bastion("standings", "set", "--org", "e", "--standing", "四星", "--reason", "整改到位，上级重新定级",
                  "--as", "admin").stdout
    assert "E: 二星 → 四星" in out
    history = json.loads(bastion("standings", "history", "--org", "E", "--format", "json").stdout)
    assert [(h["kind"], h["standing"]) for h in history] == [("initial", "三星"), ("graded", "二星"), ("manual", "四星")]
    assert history[-1]["reason"] == "上级定级：整改到位，上级重新定级" and history[-1]["kind_words"] == "set by hand"

    refused = bastion("standings", "set", "--org", "E", "--standing", "六星", "--reason", "x", "--as", "admin",
                      ok=False)
    assert refused.exit_code == 1 and "'六星' is not a standing of the scheme" in " ".join(refused.output.split())

    rows = json.loads(bastion("results", "--year", "2026", "--format", "json").stdout)
    assert {r["org_code"]: r["standing"] for r in rows} == {"A": "四星", "B": "三星", "C": "三星", "D": "三星",
                                                            "E": "二星"}  # held once 2026 was published
    table = bastion("results", "--year", "2026").stdout
    assert "Standing" in table and "四星" in table
