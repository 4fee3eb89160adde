"""A synthetic enterprise: an organisation tree and a year of facts, from a fixed seed.

Used by ``bastion demo`` (about 40 branches) and by the benchmarks (10k–100k branches), so it is
vectorised with numpy and writes in bulk. It reads the scheme to know what to generate: ledger
entries for the ledger rules, findings for deduction and veto indicators, ballots and levels for
the rating rules. Each branch gets a hidden *diligence* in [0.45, 1]: diligent branches meet
their targets, collect few findings and good ballots, so the results spread out realistically;
a few branches hit a veto item, a few let their secretary's term lapse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert

from bastion.core import audit, db
from bastion.core.bulk_write import bulk_insert
from bastion.core.engine import UNIT_MONTHS, resolve_targets
from bastion.core.exports import write_csv
from bastion.core.models import Check, Finding, LedgerEntry, Organization, OrgLevel, Rating
from bastion.core.scheme import Scheme
from bastion.plugins.standard_ledgers import LEDGER_TYPES

CATEGORIES = ("机关", "生产一线", "经营服务", "离退休")
CATEGORY_WEIGHTS = (0.3, 0.4, 0.2, 0.1)
GENERAL_BRANCHES = ("机关党总支", "生产党总支", "经营服务党总支", "离退休党总支")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "建国志强海燕晓明春华卫东丽娟永红国庆秀英文杰俊峰明辉玉兰"
UNIT_NAMES = {
    "机关": ("综合办公室", "财务部", "人力资源部", "安全环保部", "工程技术部", "信息中心", "纪检监察室", "企业管理部",
           "审计部", "党群工作部", "规划计划部", "法律事务部"),
    "生产一线": ("第一采油厂", "第二采油厂", "机修车间", "热电车间", "运输大队", "检测中心", "生产调度中心", "钻井一队",
             "钻井二队", "井下作业队", "集输大队", "供电车间", "化验室", "储运车间", "维修大队", "动力车间"),
    "经营服务": ("销售分公司", "物资供应站", "后勤服务中心", "物业公司", "培训中心", "质量监督站", "宾馆", "职工医院"),
    "离退休": ("第一离退休管理站", "第二离退休管理站", "老干部活动中心"),
}
ORDINALS = "一二三四五六七八九十"
VETO_SHARE = 0.08
LAPSED_TERM_SHARE = 0.08


@dataclass(frozen=True)
class Generated:
    branches: int
    ledger_entries: int
    findings: int
    ratings: int


def _name(rng: np.random.Generator) -> str:
    return SURNAMES[rng.integers(len(SURNAMES))] + "".join(GIVEN[i] for i in rng.integers(len(GIVEN), size=2))


ACTOR = "demo"
NOTE = "示范数据（synthetic data）"  # the audit note of every generated row; data, so in the data's language


def build_tree(engine: Engine, *, tenant_id: int, branches: int, seed: int, year: int,
               general_branches: int = 4) -> pd.DataFrame:
    """Committee → general branches → branches; returns the branches (org_id, code, category, diligence)."""
    rng = np.random.default_rng(seed)
    with db.begin(engine) as conn:
        org = Organization.__table__
        committee_id = conn.execute(insert(org).returning(org.c.id), {
            "tenant_id": tenant_id, "code": "DW", "name": "集团公司党委", "level": OrgLevel.committee.value,
            # the committee's party-affairs office (党委组织部): the superior staff who rate the branches
            "category": "", "secretary": _name(rng), "member_count": 0, "staff_count": 0, "party_staff_count": 5,
            "active": True}).scalar_one()
        generals = []
        for g in range(general_branches):
            name = GENERAL_BRANCHES[g % len(GENERAL_BRANCHES)] + ("" if g < len(GENERAL_BRANCHES) else str(g))
            generals.append(conn.execute(insert(org).returning(org.c.id), {
                "tenant_id": tenant_id, "code": f"ZZ{g + 1:02d}", "name": name, "parent_id": committee_id,
                "level": OrgLevel.general_branch.value, "category": "", "secretary": _name(rng),
                "member_count": 0, "staff_count": 0, "party_staff_count": 0, "active": True}).scalar_one())
        category = rng.choice(len(CATEGORIES), size=branches, p=CATEGORY_WEIGHTS)
        members = rng.integers(8, 60, size=branches)
        lapsed = rng.random(branches) < LAPSED_TERM_SHARE
        start_year = rng.integers(year - 4, year + 1, size=branches)
        # Party-affairs staff come from a stream of their own: adding them changed nothing else of the demo.
        party_share = np.random.default_rng(seed + 2).uniform(0.004, 0.026, branches)
        rows, used = [], {c: 0 for c in CATEGORIES}
        for n in range(branches):
            term_start = date(int(start_year[n]), 1, 1) if not lapsed[n] else date(year - 5, 3, 1)
            term_end = date(term_start.year + 5, term_start.month, 1) if not lapsed[n] else date(year, 3, 31)
            cat = CATEGORIES[int(category[n])]
            secretary = _name(rng)
            staff = int(members[n] * rng.uniform(2, 6))
            rows.append({
                "tenant_id": tenant_id, "code": f"ZB{n + 1:05d}", "name": _branch_name(cat, used[cat]),
                "parent_id": generals[int(category[n]) % general_branches], "level": OrgLevel.branch.value,
                "category": cat, "secretary": secretary,
                "secretary_term_start": term_start, "secretary_term_end": term_end,
                "member_count": int(members[n]), "staff_count": staff,
                "party_staff_count": max(1, round(staff * party_share[n])), "active": True,
            })
            used[cat] += 1
        ids = conn.execute(insert(org).returning(org.c.id, sort_by_parameter_order=True), rows).scalars().all()
        audit.record(conn, tenant_id=tenant_id, actor=ACTOR, action="create", entity="organization",
                     new={"generated": 1 + general_branches + len(ids), "seed": seed}, note=NOTE)
    return pd.DataFrame({"org_id": ids, "code": [r["code"] for r in rows], "category": [r["category"] for r in rows],
                         "member_count": members, "diligence": rng.uniform(0.45, 1.0, size=branches) ** 0.6})


POSTS = ("党支部书记", "组织委员", "宣传委员", "纪检委员", "班组长", "技术员", "操作工", "管理员", "退休职工")


def write_register(path: Path, branches: pd.DataFrame, *, seed: int, year: int) -> Path:
    """A register file (党员名册, the import template's columns) with each branch's ``member_count`` members: names,
    posts, a tenth of them probationary (joined within the year before ``year``), phones from the 139 range.
    From a random stream of its own: adding it changed nothing else of the demo."""
    rng = np.random.default_rng(seed + 3)
    rows, n = [], 0
    for branch in branches.itertuples():
        for _ in range(int(branch.member_count)):
            n += 1
            probationary = rng.random() < 0.1
            joined = date(year - 1, int(rng.integers(1, 13)), 1) if probationary else \
                date(int(rng.integers(1978, year - 1)), int(rng.integers(1, 13)), 1)
            born = date(joined.year - int(rng.integers(19, 36)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            rows.append([f"DY{n:06d}", _name(rng), branch.code, "男" if rng.random() < 0.6 else "女", born.isoformat(),
                         joined.isoformat(), "预备党员" if probationary else "正式党员",
                         POSTS[int(rng.integers(len(POSTS)))], f"139{int(rng.integers(10**8)):08d}"])
    with path.open("w", encoding="utf-8", newline="") as stream:
        write_csv(stream, [["党员编号", "姓名", "组织编码", "性别", "出生日期", "入党日期", "党员类别", "岗位", "联系电话"],
                           *rows], bom=False)
    return path


def _branch_name(category: str, index: int) -> str:
    """机修车间党支部, then 机修车间第二党支部 … once every unit of the category has a branch."""
    units = UNIT_NAMES[category]
    unit, round_ = units[index % len(units)], index // len(units)
    if round_ == 0:
        return f"{unit}党支部"
    nth = ORDINALS[round_] if round_ < len(ORDINALS) else str(round_ + 1)
    return f"{unit}第{nth}党支部"


def generate_facts(engine: Engine, *, tenant_id: int, scheme: Scheme, branches: pd.DataFrame, year: int,
                   seed: int) -> Generated:
    """A year of ledger entries, findings and ratings for ``branches`` under ``scheme``."""
    rng = np.random.default_rng(seed + 1)
    n = len(branches)
    org_ids = branches["org_id"].to_numpy()
    q = branches["diligence"].to_numpy()
    targets = resolve_targets(scheme, branches)
    ledger_parts, finding_parts, rating_parts = [], [], []

    for spec in scheme.indicators():
        params = spec.params
        if spec.rule == "ledger_target":
            unit = UNIT_MONTHS[params.get("per", "year")]
            units = 12 // unit
            t = targets[targets["indicator_code"] == spec.code].set_index("org_id")["target"]
            target = pd.Series(org_ids).map(t).fillna(0).to_numpy()  # the target of each unit
            met = rng.random((n, units)) < q[:, None] ** 1.5
            partial = np.floor(target[:, None] * rng.random((n, units)) * q[:, None])
            amount = np.where(met, np.ceil(target[:, None] * rng.uniform(1.0, 1.3, (n, units))), partial)
            if params.get("aggregate") == "sum":
                # one entry per unit carrying the amount (hours, people)
                org_idx, unit_idx = np.nonzero(amount > 0)
                ledger_parts.append(_ledger(org_ids[org_idx], params["ledger_type"], year, unit, unit_idx, rng,
                                            amount[org_idx, unit_idx]))
            else:
                counts = amount.astype(int)
                org_idx, unit_idx = np.nonzero(counts)
                reps = counts[org_idx, unit_idx]
                ledger_parts.append(_ledger(np.repeat(org_ids[org_idx], reps), params["ledger_type"], year, unit,
                                            np.repeat(unit_idx, reps), rng, None))
        elif spec.rule == "ledger_coverage":
            whole = branches["member_count"].to_numpy() if "member_count" in branches else np.full(n, 20)
            covered = np.minimum(whole, np.ceil(whole * np.clip(q * rng.uniform(0.85, 1.15, n), 0, 1)))
            ledger_parts.append(_ledger(org_ids, params["ledger_type"], year, 12, np.zeros(n, dtype=int), rng, covered))
        elif spec.rule == "ledger_per_item":
            counts = rng.poisson(0.9 * q ** 3)
            ledger_parts.append(_ledger(np.repeat(org_ids, counts), params["ledger_type"], year, 12,
                                        np.zeros(counts.sum(), dtype=int), rng, None))
        elif spec.rule == "finding_deduction":
            counts = rng.poisson(2.2 * (1 - q) ** 1.5)
            finding_parts.append(_findings(np.repeat(org_ids, counts), spec.code, year, rng,
                                           f"{spec.name}方面存在不足", params.get("per_finding") or 1.0))
    veto_codes = [s.code for s in scheme.indicators() if s.rule == "veto_on_finding"]
    if veto_codes:
        hit = np.zeros(n, dtype=bool)  # a fixed share, so even a small demo has its vetoed branches
        hit[rng.choice(n, size=max(1, round(VETO_SHARE * n)), replace=False)] = True
        which = rng.integers(len(veto_codes), size=int(hit.sum()))
        for k, code in enumerate(veto_codes):
            name = next(s.name for s in scheme.indicators() if s.code == code)
            chosen = org_ids[hit][which == k]
            finding_parts.append(_findings(chosen, code, year, rng, f"经查实：{name}问题", 0.0))

    ballot_sources = sorted({s for spec in scheme.indicators() if spec.rule == "ballot_score"
                             for s in (spec.params.get("sources") or scheme.source_weights)})
    ballots = {"members": (12, 30), "peers": (3, 6), "superior": (2, 4), "self": (1, 2), "work_report": (3, 6),
               "questionnaire": (10, 25), "forum": (3, 6)}
    for source in ballot_sources:
        low, high = ballots.get(source, (2, 5))
        for when in (date(year, 6, 20), date(year, 12, 15)):
            counts = rng.integers(low, high, size=n)
            who = np.repeat(np.arange(n), counts)
            score = np.clip(rng.normal(62 + 38 * q[who], 4.0), 0, 100).round(0)
            rating_parts.append(pd.DataFrame({
                "tenant_id": tenant_id, "org_id": org_ids[who], "source": source, "rater": "",
                "indicator_code": None, "score": score, "level": None, "date": when, "note": ""}))
    for spec in scheme.indicators():
        if spec.rule == "level_score":
            levels = np.select([q > 0.93, q > 0.8, q > 0.65], ["优秀", "良好", "一般"], "较差")
            for when in (date(year, 6, 25), date(year, 12, 20)):
                rating_parts.append(pd.DataFrame({
                    "tenant_id": tenant_id, "org_id": org_ids, "source": "superior", "rater": "",
                    "indicator_code": spec.code, "score": None, "level": levels, "date": when, "note": ""}))

    ledger = pd.concat(ledger_parts, ignore_index=True) if ledger_parts else pd.DataFrame()
    findings = pd.concat(finding_parts, ignore_index=True) if finding_parts else pd.DataFrame()
    ratings = pd.concat(rating_parts, ignore_index=True) if rating_parts else pd.DataFrame()
    with db.begin(engine) as conn:
        if not ledger.empty:
            _bulk(conn, LedgerEntry, ledger.assign(tenant_id=tenant_id, note="", recorded_by="demo", source="synthetic"))
        if not findings.empty:
            check_ids = _checks(conn, tenant_id, findings)
            _bulk(conn, Finding, findings.assign(tenant_id=tenant_id, check_id=check_ids))
        if not ratings.empty:
            _bulk(conn, Rating, ratings)
        audit.record_many(conn, [
            {"tenant_id": tenant_id, "actor": ACTOR, "action": "import", "entity": kind, "note": NOTE,
             "new": {"rows": rows, "seed": seed, "year": year}}
            for kind, rows in (("ledger", len(ledger)), ("findings", len(findings)), ("ratings", len(ratings))) if rows])
    return Generated(n, len(ledger), len(findings), len(ratings))


def _dates(year: int, unit_months: int, unit_idx: np.ndarray, rng: np.random.Generator) -> list[date]:
    month = 1 + unit_idx * unit_months + rng.integers(0, unit_months, size=len(unit_idx))
    day = rng.integers(1, 29, size=len(unit_idx))
    return [date(year, int(m), int(d)) for m, d in zip(month, day)]


TITLES = {kind.code: f"{kind.name}记录" for kind in LEDGER_TYPES}  # what a secretary would title the entry


def _ledger(org_ids: np.ndarray, ledger_type: str, year: int, unit_months: int, unit_idx: np.ndarray,
            rng: np.random.Generator, quantity: np.ndarray | None) -> pd.DataFrame:
    return pd.DataFrame({
        "org_id": org_ids, "type": ledger_type, "date": _dates(year, unit_months, unit_idx, rng),
        "quantity": quantity if quantity is not None else None, "title": TITLES.get(ledger_type, ledger_type),
    })


def _findings(org_ids: np.ndarray, code: str, year: int, rng: np.random.Generator, text: str,
              deduction: float) -> pd.DataFrame:
    return pd.DataFrame({
        "org_id": org_ids, "indicator_code": code, "deduction": deduction, "description": text,
        "date": _dates(year, 12, np.zeros(len(org_ids), dtype=int), rng),
    })


def _checks(conn, tenant_id: int, findings: pd.DataFrame) -> np.ndarray:
    """One check per finding's organisation and date, ids in the findings' order."""
    keys = findings[["org_id", "date"]].drop_duplicates().reset_index(drop=True)
    table = Check.__table__
    rows = [{"tenant_id": tenant_id, "org_id": int(o), "kind": "daily", "date": d, "inspector": "督查组",
             "status": "done", "note": ""} for o, d in zip(keys["org_id"], keys["date"])]
    ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    keys["check_id"] = ids
    return findings.merge(keys, on=["org_id", "date"], how="left")["check_id"].to_numpy()


def _bulk(conn, model, frame: pd.DataFrame) -> None:
    for start in range(0, len(frame), 200_000):
        part = frame.iloc[start:start + 200_000]
        bulk_insert(conn, model.__table__, {name: part[name].astype(object).where(part[name].notna(), None).tolist()
                                            for name in part.columns})
