"""A branch's assessment archive (考核档案) for a year, as one 公文-laid .docx: who it is, every period's result, the
year's lines with their reasons (a secret source's ballots in aggregate only), the findings, the rectification
notices and how they closed, the leaders' reviews, the incentives, the appeals and their decisions — read for one who may see the branch's results
(its secretary, the office, the leaders). ``zip_archives`` bundles every branch's for the office.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd
from sqlalchemy import Connection, select

from .access import Action, Principal, require, require_whole_tenant
from .appeals import read_appeals
from .ballots import secrecy
from .bulletins.layout import Official
from .errors import NotFound
from .i18n import tr
from .models import Check, Cycle, Finding, Organization, OrgLevel, code_is
from .rectification.queries import read_notices
from .results import explain, grade_label, read_history, read_incentives
from .reviews import read_reviews
from .words import APPEAL_STATUS, word

STATUS = {"issued": "已下发", "responded": "已反馈待复验", "verified": "复验通过", "reopened": "复验未通过",
          "overdue": "逾期未整改"}


def _org(conn: Connection, principal: Principal, org_code: str) -> dict:
    o = Organization.__table__.c
    row = conn.execute(select(Organization.__table__).where(o.tenant_id == principal.tenant_id,
                                                            code_is(o.code, org_code))).mappings().first()
    if row is None:
        raise NotFound(tr(f"组织：本单位没有组织 {org_code!r}", f"organisation: no organisation {org_code!r}"))
    require(conn, principal, Action.view_results, row["id"])
    return dict(row)


def branch_archive(conn: Connection, principal: Principal, *, cycle: Cycle, org_code: str, today: date) -> bytes:
    """The archive of ``org_code`` for ``cycle``'s year, as .docx bytes."""
    org = _org(conn, principal, org_code)
    year = cycle.year
    history = read_history(conn, principal.tenant_id, org_id=org["id"], viewer=principal)
    mine = history[(history["year"] == year) & (history["org_id"] == org["id"])] if not history.empty else history
    doc = Official()
    doc.title(f"{org['name']}{year}年度党建工作考核档案")
    doc.heading("一、基本情况")
    doc.body(f"组织编码 {org['code']}；书记 {org['secretary'] or '未登记'}；党员 {org['member_count']} 名；"
             f"档案生成于 {today:%Y年%m月%d日}。")
    doc.heading("二、各期考核结果")
    if mine.empty:
        doc.body("本年度尚无可查看的考核结果。")
    else:
        doc.table(["考核期", "总分", "等次", "排名", "档次", "一票否决"],
                  [[str(r.period), f"{r.total:.2f}", grade_label(r.grade), f"{r.rank}/{r.branches}", str(r.tier),
                    "是" if r.vetoed else ""] for r in mine.itertuples()])
        last = str(mine.iloc[-1]["period"])
        explained = explain(conn, cycle=cycle, period=last, org_code=org["code"], viewer=principal)
        doc.heading(f"三、{last} 考核得分明细")
        rows = []
        for line in explained.lines:
            reason = line["reason"] or ""
            told = "；".join(secrecy.aggregate_text(b) for b in line.get("ballots", ()))
            rows.append([f"{line['indicator_code']} {line['name'] or ''}", f"{line['points']:g}/{line['max_points']:g}",
                         reason + (f"（{told}）" if told else "")])
        doc.table(["指标", "得分", "计分说明"], rows)
    doc.heading("四、检查发现")
    findings = _findings(conn, principal.tenant_id, org["id"], year)
    if findings.empty:
        doc.body("本年度无检查发现。")
    else:
        doc.table(["日期", "检查方式", "指标", "扣分", "问题"],
                  [[f"{r.date:%Y-%m-%d}", str(r.kind), str(r.indicator_code or ""), f"{r.deduction:g}",
                    str(r.description)] for r in findings.itertuples()])
    doc.heading("五、整改通知书")
    notices = read_notices(conn, principal, org_id=org["id"], cycle_id=cycle.id, today=today)
    if notices.empty:
        doc.body("本年度无整改通知书。")
    else:
        doc.table(["编号", "问题", "整改期限", "整改情况", "结果"],
                  [[str(n.notice_no), str(n.problem), f"{n.deadline:%Y-%m-%d}", str(n.response or ""),
                    STATUS.get(n.status, str(n.status)) + (f"（{n.verification_note}）" if n.verification_note else "")]
                   for n in notices.itertuples()])
    doc.heading("六、领导点评")
    reviews = read_reviews(conn, cycle.id, org_id=org["id"])
    if reviews.empty:
        doc.body("本年度无分级点评。")
    for r in reviews.itertuples():
        doc.subheading(f"（{r.period}）{r.reviewer}")
        doc.body(f"成绩：{r.achievements}；问题：{r.problems}；方向：{r.direction}")
    doc.heading("七、奖惩")
    awards = pd.concat([read_incentives(conn, cycle.id, str(p)) for p in mine["period"]], ignore_index=True) \
        if not mine.empty else pd.DataFrame()
    awards = awards[awards["org_id"] == org["id"]] if not awards.empty else awards
    if awards.empty:
        doc.body("本年度无奖惩事项。")
    else:
        doc.table(["名目", "类别", "说明"], [[str(a.title), str(a.kind), str(a.award)] for a in awards.itertuples()])
    doc.heading("八、申诉")
    lodged = read_appeals(conn, principal, cycle_id=cycle.id, org_id=org["id"]).iloc[::-1]  # oldest first
    if lodged.empty:
        doc.body("本年度无申诉。")
    else:
        doc.table(["编号", "考核期", "指标", "原得分", "申诉理由", "办理结果", "办理意见"],
                  [[str(a.id), str(a.period), f"{a.indicator_code} {a.indicator or ''}".strip(), f"{a.points_then:g}",
                    str(a.reason), word(APPEAL_STATUS, a.status)
                    + (f"（更正为 {a.points_after:g} 分）" if a.status == "accepted" else ""), str(a.decision or "")]
                   for a in lodged.itertuples()])
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _findings(conn: Connection, tenant_id: int, org_id: int, year: int) -> pd.DataFrame:
    f, c = Finding.__table__.c, Check.__table__.c
    query = (select(f.date, c.kind, f.indicator_code, f.deduction, f.description)
             .join_from(Finding.__table__, Check.__table__, c.id == f.check_id)
             .where(f.tenant_id == tenant_id, f.org_id == org_id, f.date >= date(year, 1, 1),
                    f.date < date(year + 1, 1, 1)).order_by(f.date, f.id))
    frame = pd.read_sql(query, conn)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def zip_archives(conn: Connection, principal: Principal, *, cycle: Cycle, today: date) -> bytes:
    """Every active branch's archive of the year in one .zip (the office: an administrator of the whole tenant)."""
    require_whole_tenant(conn, principal, Action.view_results,
                         ("全部党支部的考核档案须由管理全单位的人员导出", "every branch's archive is for the whole tenant's"))
    o = Organization.__table__.c
    codes = conn.execute(select(o.code, o.name).where(o.tenant_id == principal.tenant_id,
                                                     o.level == OrgLevel.branch.value, o.active.is_(True))
                         .order_by(o.code)).all()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for code, name in codes:
            bundle.writestr(f"{code}-{name}-{cycle.year}考核档案.docx",
                            branch_archive(conn, principal, cycle=cycle, org_code=code, today=today))
    return buffer.getvalue()
