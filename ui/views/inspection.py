"""督查检查 — inspection: today's checks and the spot-check samples, findings against the cycle's indicators,
rectification notices and their re-verification (复验). Everything through :mod:`bastion.core.inspection`
and :mod:`bastion.core.rectification`, within the inspector's organisations."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from bastion.core import inspection
from bastion.core.rectification import queries as rectification_queries, service as rectification_service
from bastion.core.db import transaction
from bastion.core.evidence import ALLOWED_SUFFIXES, read_bytes
from bastion.core.models import CheckKind, Cycle, RectificationStatus
from bastion.ui import context
from bastion.ui.feedback import attempt, show_flash
from bastion.core.periods import Late
from bastion.core.words import CHECK_KIND, LATE, NOTICE_STATUS, word
from bastion.ui.i18n import frozen, tr
from bastion.ui.late import late_choice
from bastion.ui.tables import grid
from sqlmodel import Session

MANY = 2000  # more organisations than this are typed by code instead of picked from a list

def status_label(status: str) -> str:
    return word(NOTICE_STATUS, status)


def kind_label(kind: str) -> str:
    return word(CHECK_KIND, kind)


LONG = {"description", "problem", "requirement", "response", "verification_note", "detail", "note"}


def table(frame: pd.DataFrame, headers: dict[str, str], *, empty: str) -> None:
    if frame.empty:
        st.caption(empty)
        return
    grid(frame[list(headers)].rename(columns=headers), long_text=[h for c, h in headers.items() if c in LONG])


def org_picker(who, label: str, key: str) -> str | None:
    with context.engine().connect() as conn:
        orgs = inspection.inspectable_organizations(conn, who)
    if len(orgs) > MANY:
        code = st.text_input(label + tr("（编码）", " (code)"), key=key)
        return code.strip() or None
    names = dict(zip(orgs["code"], orgs["name"], strict=True))
    return st.selectbox(label, list(names), format_func=lambda c: f"{c} {names[c]}", key=key, index=None,
                        placeholder=tr("选择党组织", "Choose an organisation"))


# --- today's checks ---------------------------------------------------------------------------------


def checks_tab(who, cycle: Cycle) -> None:
    day = st.date_input(tr("检查日期", "Day"), value=date.today(), key="inspection_day")
    with context.engine().connect() as conn:
        planned = inspection.planned_checks(conn, who, on=day)
        samples = inspection.spot_samples(conn, who, cycle_id=cycle.id)
    st.subheader(tr("待检查", "Checks to do"))
    planned = planned.assign(kind=planned["kind"].map(kind_label))
    table(planned, {"check_id": tr("检查编号", "Check"), "code": tr("编码", "Code"),
                    "name": tr("党组织", "Organisation"), "kind": tr("检查方式", "Kind"),
                    "inspector": tr("检查人", "Inspector"), "note": tr("备注", "Note")},
          empty=tr("这一天没有待检查的党组织。", "No checks are planned for this day."))
    st.subheader(tr("随机抽查样本", "Spot-check samples"))
    visits = {"planned": tr("待检查", "to do"), "done": tr("已检查", "done")}
    samples = samples.assign(status=samples["status"].map(visits))
    table(samples, {"day": tr("抽查日期", "Drawn for"), "seed": tr("随机种子", "Seed"), "drawn": tr("抽取数", "Drawn"),
                    "of": tr("总数", "Of"), "code": tr("编码", "Code"), "name": tr("党组织", "Organisation"),
                    "status": tr("状态", "Status"), "findings": tr("发现问题", "Findings")},
          empty=tr("本年度还没有随机抽查。", "No spot checks have been drawn this cycle."))


# --- findings ---------------------------------------------------------------------------------------


def finding_tab(who, cycle: Cycle) -> None:
    with context.engine().connect() as conn:
        indicators = inspection.scheme_indicators(conn, who, cycle_id=cycle.id, registry=context.registry())
    names = {r.code: f"{r.code} {r.name}（{r.points:g} {tr('分', 'pts')}）" for r in indicators.itertuples()}
    # The date outside the form: a late one (its period closed) asks, in the form, where the finding goes.
    on = st.date_input(tr("检查日期", "Date"), value=date.today(), key="finding_date")
    with st.form("finding_form"):
        late = late_choice(who, cycle, on, key="finding_late")
        org = org_picker(who, tr("被检查党组织", "Organisation inspected"), "finding_org")
        indicator = st.selectbox(tr("考核指标", "Indicator"), list(names), format_func=names.get,
                                 key="finding_indicator")
        kind = st.selectbox(tr("检查方式", "Kind of check"), [k.value for k in CheckKind], format_func=frozen(kind_label, CheckKind),
                            key="finding_kind")
        deduction = st.number_input(tr("扣分", "Deduction"), min_value=0.0, step=0.5, key="finding_deduction")
        description = st.text_area(tr("问题描述", "What was found"), key="finding_description")
        files = st.file_uploader(tr("佐证材料（可选）", "Evidence (optional)"), accept_multiple_files=True,
                                 type=sorted(s.lstrip(".") for s in ALLOWED_SUFFIXES), key="finding_files")
        submitted = st.form_submit_button(tr("记录问题", "Record the finding"), type="primary", key="finding_submit")
    if submitted:
        if org is None:
            st.error(tr("请选择被检查党组织。", "Choose the organisation inspected."))
        else:
            attempt(lambda: record(who, cycle, org, indicator, kind, on, deduction, description, files or [], late),
                    tr("已记录检查发现。", "The finding is recorded.")
                    + (tr(f"（迟到：{word(LATE, late)}）", f" (late: {word(LATE, late)})") if late else ""))
    st.subheader(tr("本年度检查发现", "Findings of the cycle"))
    with context.engine().connect() as conn:
        findings = inspection.read_findings(conn, who, cycle_id=cycle.id)
    findings = findings.assign(kind=findings["kind"].map(kind_label),
                               notice_status=findings["notice_status"].map(lambda s: status_label(s) if s else ""))
    table(findings, {"finding_id": tr("编号", "No."), "date": tr("日期", "Date"),
                     "late_date": tr("迟到，原日期", "Late, dated"), "code": tr("编码", "Code"),
                     "name": tr("党组织", "Organisation"), "indicator_code": tr("指标", "Indicator"),
                     "deduction": tr("扣分", "Deduction"), "description": tr("问题描述", "Description"),
                     "kind": tr("检查方式", "Kind"), "notice_no": tr("整改通知书", "Notice"),
                     "notice_status": tr("整改状态", "Notice status")},
          empty=tr("本年度还没有检查发现。", "No findings yet this cycle."))
    if not findings.empty:
        evidence_of(who, findings)


def record(who, cycle: Cycle, org: str, indicator: str, kind: str, on: date, deduction: float, description: str,
           files: list, late: Late | None = None) -> None:
    """The finding and its evidence in one transaction: a refused file writes no finding either."""
    with transaction(context.engine()) as session:
        finding = inspection.record_finding(session, who, cycle_id=cycle.id, org_code=org, indicator_code=indicator,
                                            deduction=float(deduction), description=description, on=on, kind=kind,
                                            registry=context.registry(), late=late)
        for upload in files:
            inspection.attach_evidence(session, who, finding_id=finding.id, filename=upload.name,
                                       data=upload.getvalue(), home=context.settings().home)


def evidence_of(who, findings: pd.DataFrame) -> None:
    with st.expander(tr("查看佐证材料", "Evidence of a finding")):
        finding_id = st.selectbox(tr("检查发现编号", "Finding"), list(findings["finding_id"]), key="evidence_finding")
        with Session(context.engine()) as session:
            files = inspection.finding_evidence(session, who, finding_id=int(finding_id))
        if not files:
            st.caption(tr("没有佐证材料。", "No evidence."))
        for item in files:
            st.download_button(item.filename, data=read_bytes(item), file_name=item.filename, on_click="ignore",
                               key=f"evidence_{item.id}")


# --- notices ----------------------------------------------------------------------------------------


def notice_tab(who, cycle: Cycle) -> None:
    with context.engine().connect() as conn:
        findings = inspection.read_findings(conn, who, cycle_id=cycle.id)
    open_findings = findings[findings["notice_no"] == ""]
    source = st.radio(tr("通知依据", "Issued for"), ["finding", "free"], horizontal=True, key="notice_source",
                      format_func=frozen(lambda s: tr("检查发现", "A finding") if s == "finding"
                                         else tr("其他问题", "Another problem"), ["finding", "free"]))
    with st.form("notice_form"):
        finding_id, org, problem = None, None, ""
        if source == "finding":
            labels = {int(r.finding_id): f"#{r.finding_id} {r.code} {r.name}：{r.description}"
                      for r in open_findings.itertuples()}
            finding_id = st.selectbox(tr("检查发现", "Finding"), list(labels), format_func=labels.get, index=None,
                                      key="notice_finding", placeholder=tr("尚未下发通知的检查发现",
                                                                           "Findings without a notice"))
        else:
            org = org_picker(who, tr("整改党组织", "Organisation"), "notice_org")
            problem = st.text_area(tr("存在问题", "Problem"), key="notice_problem")
        requirement = st.text_area(tr("整改要求（可空，用默认要求）", "Requirement (blank: the usual one)"),
                                   key="notice_requirement")
        deadline = st.date_input(tr("整改期限", "Deadline"), value=rectification_service.default_deadline(), key="notice_deadline")
        submitted = st.form_submit_button(tr("下发整改通知书", "Issue the notice"), type="primary", key="notice_submit")
    if submitted:
        if finding_id is None and org is None:
            st.error(tr("请选择检查发现或党组织。", "Choose a finding or an organisation."))
        else:
            attempt(lambda: issue(who, cycle, finding_id, org, problem, requirement, deadline),
                    tr("已下发整改通知书。", "The notice is issued."))
    st.subheader(tr("整改通知书", "Notices"))
    status = st.selectbox(tr("状态", "Status"), [None, *NOTICE_STATUS], key="notice_status",
                          format_func=frozen(lambda s: tr("全部", "All") if s is None else status_label(s),
                                             [None, *NOTICE_STATUS]))
    with context.engine().connect() as conn:  # every year's: a notice stays open work after its year is published
        notices = rectification_queries.read_notices(conn, who, status=status)
    notices_table(notices)


def issue(who, cycle: Cycle, finding_id: int | None, org: str | None, problem: str, requirement: str,
          deadline: date) -> None:
    with transaction(context.engine()) as session:
        rectification_service.issue_notice(session, who, cycle_id=cycle.id, finding_id=finding_id, org_code=org, problem=problem,
                               requirement=requirement, deadline=deadline)


def notices_table(notices: pd.DataFrame) -> None:
    notices = notices.assign(status=notices["status"].map(status_label),
                             overdue=notices["overdue"].map(lambda late: tr("逾期", "overdue") if late else ""))
    table(notices, {"notice_no": tr("通知书编号", "Notice"), "code": tr("编码", "Code"),
                    "name": tr("党组织", "Organisation"), "problem": tr("存在问题", "Problem"),
                    "issued_at": tr("下发日期", "Issued"), "deadline": tr("整改期限", "Deadline"),
                    "status": tr("状态", "Status"), "overdue": tr("逾期", "Overdue"),
                    "response": tr("整改情况", "Answer"), "verifier": tr("复验人", "Verifier")},
          empty=tr("没有整改通知书。", "No notices."))


# --- re-verification --------------------------------------------------------------------------------


def verify_tab(who, cycle: Cycle) -> None:
    with context.engine().connect() as conn:
        answered = rectification_queries.read_notices(conn, who, status=RectificationStatus.responded.value)
    if answered.empty:
        st.caption(tr("没有待复验的整改通知书。", "No answered notices wait for re-verification."))
        return
    notices_table(answered)
    answers = {r.notice_no: r for r in answered.itertuples()}
    with st.form("verify_form"):
        notice_no = st.selectbox(tr("整改通知书", "Notice"), list(answers), key="verify_notice",
                                 format_func=lambda n: f"{n} {answers[n].code} {answers[n].name}")
        passed = st.radio(tr("复验结论", "Result"), [True, False], horizontal=True, key="verify_passed",
                          format_func=frozen(lambda ok: tr("通过", "Passed") if ok
                                             else tr("未通过，重新整改", "Failed: reopen"), [True, False]))
        note = st.text_area(tr("复验意见", "Note"), key="verify_note")
        new_deadline = st.date_input(tr("新的整改期限（未通过时）", "New deadline (when failed)"),
                                     value=rectification_service.default_deadline(), key="verify_deadline")
        submitted = st.form_submit_button(tr("提交复验", "Record the re-verification"), type="primary",
                                          key="verify_submit")
    st.caption(tr("整改情况：", "Answer: ") + str(answers[notice_no].response or ""))
    if submitted:
        attempt(lambda: reverify(who, notice_no, passed, note, new_deadline),
                tr("已记录复验结论。", "The re-verification is recorded."))


def reverify(who, notice_no: str, passed: bool, note: str, new_deadline: date) -> None:
    with transaction(context.engine()) as session:
        rectification_service.reverify(session, who, notice_no=notice_no, passed=passed, note=note,
                           new_deadline=None if passed else new_deadline)


def render() -> None:
    who = context.signed_in()
    st.title(tr("督查检查", "Inspection"))
    show_flash()
    cycle = context.pick_cycle(who)
    if cycle is None:
        return
    tabs = st.tabs([tr("今日检查", "Today's checks"), tr("记录检查发现", "Record a finding"),
                    tr("整改通知", "Rectification notices"), tr("复验", "Re-verification")],
                   key="inspection_tabs", on_change="rerun")  # kept by the server: the same tab after a rerun
    for tab, show in zip(tabs, (checks_tab, finding_tab, notice_tab, verify_tab), strict=True):
        with tab:
            show(who, cycle)


render()
