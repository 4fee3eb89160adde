"""``bastion ballots``: a round of the branches (民主测评) and a review of members (民主评议党员) run from the command
line as an office runs them — opened from the register, codes written once, a paper ballot keyed in, flags,
closed — and what each step refuses."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

from bastion.core import db
from bastion.core.settings import Settings
from tests import factories
from tests.app.conftest import bastion
from tests.core import people
from tests.core.people import person

REGISTER = ("党员编号,姓名,组织编码,性别,出生日期,入党日期,党员类别,岗位,联系电话\n"
            "DY01,李明,A,男,1986-05-12,2010-07-01,正式党员,主任,\n"
            "DY02,王芳,A,女,1990-03-02,2015-06-30,正式党员,科员,\n"
            "DY03,张强,A,男,1999-11-20,2025-06-01,预备党员,技术员,\n"
            "DY04,赵敏,B,女,1988-01-02,2012-06-30,正式党员,科员,\n"
            "DY05,孙丽,A,女,1992-04-02,2016-06-30,正式党员,科员,\n")


def a_tenant(registry, tmp_path) -> None:
    store = db.connect(Settings.from_env())
    try:
        tenant = factories.tenant(store, registry)
        factories.cycle(store, registry, tenant, year=date.today().year)
        people.tree(store, tenant)
        person(store, tenant, "admin", ("admin", "DW"))
    finally:
        store.dispose()
    register = tmp_path / "名册.csv"
    register.write_text(REGISTER, encoding="utf-8")
    bastion("import", "members", str(register))


def codes(path) -> list[dict]:
    with path.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return [dict(zip(("org", "name", "what", "code", "url"), r)) for r in rows[1:]]


def test_a_round_of_the_branches_from_opening_to_counting(home, registry, tmp_path):
    a_tenant(registry, tmp_path)
    year = str(date.today().year)
    deadline = (date.today() + timedelta(days=7)).isoformat()
    opened = bastion("ballots", "open", "--period", year, "--deadline", deadline).output
    assert f"ballot round {year} open" in opened and f"until {deadline}" in opened
    assert "already" in bastion("ballots", "open", "--period", year, ok=False).output
    bad = bastion("ballots", "sheet", "--period", year, "--out", str(tmp_path / "codes.txt"), ok=False)
    assert bad.exit_code == 2 and ".pdf, .csv or .xlsx" in bad.output
    out = tmp_path / "codes.csv"
    assert "codes written" in bastion("ballots", "sheet", "--period", year, "--out", str(out)).output
    slips = codes(out)
    assert {s["org"] for s in slips} >= {"A", "B"} and all(s["url"].endswith(s["code"]) for s in slips)
    again = bastion("ballots", "sheet", "--period", year, "--out", str(tmp_path / "again.csv"), ok=False)
    assert "were all issued" in again.output and not (tmp_path / "again.csv").exists()

    mine = next(s for s in slips if s["org"] == "A" and s["what"] == "members and staff")
    assert "cast: A" in bastion("ballots", "cast", "--code", mine["code"], "-a", "overall=91").output
    assert "voted already" in bastion("ballots", "cast", "--code", mine["code"], "-a", "overall=91", ok=False).output
    status = json.loads(bastion("ballots", "status", "--period", year, "--format", "json").output)
    assert {(r["org_code"], r["source"], r["entitled"], r["cast"]) for r in status} >= {("A", "members", 4, 1)}
    flags = json.loads(bastion("ballots", "flags", "--period", year, "--format", "json").output)
    assert {f["kind"] for f in flags} == {"turnout"}
    assert "1 ballot(s) counted" in bastion("ballots", "close", "--period", year).output
    assert "closed already" in bastion("ballots", "close", "--period", year).output
    listed = json.loads(bastion("ballots", "list", "--format", "json").output)
    assert [(r["kind"], r["status"], r["cast"]) for r in listed] == [("branches", "closed", 1)]


def test_a_review_of_members_grades_them_from_the_command_line(home, registry, tmp_path):
    a_tenant(registry, tmp_path)
    year = str(date.today().year)
    bastion("ballots", "open", "--period", year, "--kind", "members")
    out = tmp_path / "review.csv"
    bastion("ballots", "sheet", "--period", year, "--kind", "members", "--out", str(out))
    mine = [s for s in codes(out) if s["org"] == "A"]
    assert len(mine) == 4 and {s["what"] for s in mine} == {"review of members"}
    for slip in mine:
        bastion("ballots", "cast", "--code", slip["code"], "-a", "DY01=优秀", "-a", "DY02=合格", "-a", "DY03=优秀",
                "-a", "DY05=合格")
    assert "not closed yet" in bastion("ballots", "grades", "--period", year, ok=False).output
    bastion("ballots", "close", "--period", year, "--kind", "members")
    grades = {g["code"]: g for g in json.loads(bastion("ballots", "grades", "--period", year, "--org", "A",
                                                       "--format", "json").output)}
    assert (grades["DY01"]["grade"], grades["DY02"]["grade"], grades["DY03"]["grade"]) == ("优秀", "合格", None)
    assert grades["DY01"]["tallies"] == {"优秀": 4}
    wrong = bastion("ballots", "status", "--period", year, "--kind", "parties", ok=False)
    assert wrong.exit_code == 2 and "should be branches" in wrong.output
