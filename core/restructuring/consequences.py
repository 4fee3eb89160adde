"""What a restructuring means for the tenant's periods (机构调整的影响), said before it is confirmed: closed periods
whose span holds the effective date keep their results; drafts are outdated; the periods scored from now on follow
the new tree — and whose facts go where."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from ..i18n import tr
from ..models import Cycle, Evaluation, EvaluationStatus, Organization
from ..periods import Period, in_time_order
from .rules import Kind, listed


def consequences(session: Session, tenant_id: int, effective_on: date, kind: Kind, *, carried: list[str],
                  heir: str | None, moved: list[Organization] = (), made: list[str] = ()) -> tuple[str, ...]:
    """What the change does to the tenant's periods: closed ones whose span holds the effective date keep their
    results; drafts are outdated; the periods scored from now on follow the new tree — and whose facts go where."""
    e, c = Evaluation.__table__.c, Cycle.__table__.c
    found: dict[str, set[str]] = {}
    for key, status in session.execute(select(e.period, e.status).distinct()
                                       .join_from(Evaluation.__table__, Cycle.__table__, c.id == e.cycle_id)
                                       .where(c.tenant_id == tenant_id)):
        found.setdefault(key, set()).add(status)
    closed = [k for k, s in found.items() if s & {EvaluationStatus.reviewed.value, EvaluationStatus.published.value}]
    drafts = [k for k, s in found.items() if k not in closed]
    covering = in_time_order([k for k in closed if Period.parse(k).start <= effective_on < Period.parse(k).end])
    lines = []
    if covering:
        keys = "、".join(covering)
        lines.append(tr(f"生效日期在已审核或已发布的考核期 {keys} 内：这些考核期的结果保持发布时的样子"
                        "（组织快照与冻结依据），核验仍一致",
                        f"the effective date falls in closed periods ({', '.join(covering)}): their results stay as "
                        "published (their snapshot and frozen inputs), and verify still finds them identical"))
    if drafts:
        keys = "、".join(in_time_order(drafts))
        lines.append(tr(f"考核期 {keys} 的草稿评分在此之前，随之过时：须重新评分后才能发布或提交审核",
                        f"the drafts of {', '.join(in_time_order(drafts))} were scored before it and are outdated: "
                        "score them again before publishing or putting them to review"))
    who = "、".join(carried)
    after = {
        Kind.merge: (f"{who} 不再单独评分，其在这些考核期的台账、检查发现和测评计入 {heir}；{heir} 的历次考核结果接续 {who} 的",
                     (f"{', '.join(carried)} are no longer scored: their ledger entries, findings and ratings in those "
                      f"periods count for {heir}, and {heir}'s history continues theirs")),
        Kind.split: ((f"{who} 不再评分，{'、'.join(made)} 分别评分；{who} 在这些考核期的台账、检查发现和测评计入 {heir}，"
                      f"其历次考核结果由 {heir} 接续"),
                     (f"{who} is no longer scored, {', '.join(made)} are, each; {who}'s ledger entries, findings and "
                      f"ratings in those periods count for {heir}, and {heir}'s history continues {who}'s")),
        Kind.move: (f"{who} 计入 {heir} 之下（汇总、下钻随之变化）",
                    f"{who} counts under {heir} (roll-ups and drill-downs follow)"),
        Kind.rename: (f"{who} 以新名称“{heir}”出现", f"{who} appears under its new name {heir}"),
        Kind.dissolve: (f"{who} 不再评分，其在这些考核期的台账、检查发现和测评不计入任何组织",
                        (f"{who} is no longer scored, and its ledger entries, findings and ratings in those periods "
                         "count for no organisation")),
    }[kind]
    lines.append(tr("尚未审核或发布的考核期此后评分时按调整后的组织机构：", "periods not yet closed are scored on the new tree from "
                    "now on: ") + tr(*after))
    if moved:
        lines.append(tr(f"其下属组织 {listed(list(moved))} 随之调整到 {heir} 之下",
                        f"the organisations under it, {listed(list(moved))}, move under {heir}"))
    return tuple(lines)
