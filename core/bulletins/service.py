"""Bulletins (通报): a period's standings as a Word document laid out as a 公文 (GB/T 9704-2012, ``layout``) and the
full table as an Excel workbook.

Each monthly evaluation, quarterly bulletin, half-year check and annual assessment writes one, in
Chinese: the overall figures, the top of the ranking, the advanced (先进), the bottom tier, the
vetoed and the open rectification notices with their deadlines. Both files are kept in the
tenant's assessment archive (考核档案) and listed in the ``bulletin`` table; writing a period's
bulletin again replaces its files and its row, so a stage run twice leaves one bulletin. A correction of
published results re-issues it instead (:func:`reissue_bulletin`): a new version that says why, the one it
replaces kept with its files as ``SupersededBulletin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from docx.enum.text import WD_ALIGN_PARAGRAPH
from sqlalchemy import func
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import audit
from .. import standings as standing_steps
from ..cycles import cycle_scheme
from ..engine import NOT_GRADED
from ..exports import xlsx
from ..i18n import tr
from ..models import Bulletin, Cycle, SupersededBulletin, Tenant
from ..periods import Period
from ..rectification.queries import read_notices
from ..rectification.service import OPEN
from ..results import NOT_GRADED_LABEL, read_results
from ..reviews import read_reviews
from .layout import Official, chinese_number

TOP = 10
TABLE_COLUMNS = {  # results column → header of the Excel table
    "rank": "排名", "code": "编码", "name": "党组织", "parent_name": "上级党组织", "category": "类别",
    "total": "总分", "base_points": "基本分", "bonus_points": "加分", "assessed_points": "本期考核分值",
    "rate": "得分率（%）", "grade": "等次", "tier": "档次",
    "vetoes": "一票否决事项",
}


@dataclass(frozen=True)
class BulletinFiles:
    title: str
    docx: Path
    xlsx: Path


def archive_dir(home: Path, tenant_code: str, year: int) -> Path:
    """Where a tenant's bulletins of a year are kept: ``<BASTION_HOME>/archive/<tenant>/<year>/``."""
    return home / "archive" / tenant_code / str(year)


def write_bulletin(session: Session, *, cycle: Cycle, period: Period, home: Path, today: date,
                   actor: str) -> Bulletin:
    """Write (or rewrite) the period's bulletin files and record them in the archive: the issue in force is
    rewritten (a stage run again leaves one bulletin); :func:`reissue_bulletin` makes a new issue instead."""
    bulletin = _current(session, cycle, period)
    return _issue(session, cycle=cycle, period=period, home=home, today=today, actor=actor,
                  bulletin=bulletin, version=1 if bulletin is None else bulletin.version, reason="")


def reissue_bulletin(session: Session, *, cycle: Cycle, period: Period, home: Path, today: date, actor: str,
                     reason: str) -> Bulletin | None:
    """Re-issue the period's bulletin after its results changed (更正后重新印发): a new issue, numbered one more,
    says why and replaces the last, which is kept (``SupersededBulletin``) with its files. None when the period
    has no bulletin yet (its stage writes the first)."""
    bulletin = _current(session, cycle, period)
    if bulletin is None:
        return None
    session.add(SupersededBulletin(bulletin_id=bulletin.id, version=bulletin.version, title=bulletin.title,
                                   reason=bulletin.reason, docx_path=bulletin.docx_path, xlsx_path=bulletin.xlsx_path,
                                   issued_at=bulletin.created_at))
    bulletin.created_at = datetime.now(UTC)
    return _issue(session, cycle=cycle, period=period, home=home, today=today, actor=actor, bulletin=bulletin,
                  version=bulletin.version + 1, reason=reason)


def _current(session: Session, cycle: Cycle, period: Period) -> Bulletin | None:
    return session.exec(select_model(Bulletin).where(Bulletin.cycle_id == cycle.id,
                                                     Bulletin.period == period.key)).first()


def _issue(session: Session, *, cycle: Cycle, period: Period, home: Path, today: date, actor: str,
           bulletin: Bulletin | None, version: int, reason: str) -> Bulletin:
    conn = session.connection()
    tenant = session.get(Tenant, cycle.tenant_id)
    results = read_results(conn, cycle.id, period.key)
    if results.empty:
        raise ValueError(tr(f"考核期 {period.key} 没有可发布通报的考核结果",
                            f"period {period.key} has no results to publish a bulletin of"))
    open_notices = (read_notices(conn, cycle.tenant_id, cycle_id=cycle.id, status=OPEN, today=today)
                    .sort_values(["deadline", "notice_no"], kind="stable"))
    title = f"{tenant.name}{period.label}党建工作考核通报"
    folder = archive_dir(home, tenant.code, cycle.year)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if version == 1 else f"-v{version}"  # an issue's files are never overwritten by the next
    files = BulletinFiles(title, folder / f"通报-{period.key}{suffix}.docx",
                          folder / f"考核结果-{period.key}{suffix}.xlsx")
    scheme = cycle_scheme(cycle)
    grades = [g.name for g in scheme.grades] + [scheme.veto_grade]
    reissued = f"本通报为第 {version} 版：考核结果更正（{reason}）后重新印发，原通报同时作废。" if version > 1 else ""
    steps = standing_steps.period_steps(conn, cycle.id, period.key).merge(
        results[["org_id", "name"]], on="org_id", how="left")
    earlier = select_model(func.count()).select_from(Bulletin).where(Bulletin.cycle_id == cycle.id)
    if bulletin is not None:  # rewritten or re-issued: it keeps its place among the cycle's bulletins
        earlier = earlier.where(Bulletin.id < bulletin.id)
    issued_before = session.exec(earlier).one()
    number = f"{tenant.code}通〔{cycle.year}〕{issued_before + 1}号"  # 发文字号: the cycle's bulletins in order
    _write_docx(files, results, open_notices, period=period, today=today, bottom_tier=scheme.tiers.bands[-1].name,
                grades=list(dict.fromkeys(grades)), organ=tenant.name, number=number, reissued=reissued,
                standings=standings_paragraphs(steps, scheme.standings.name if scheme.standings else ""),
                reviews=read_reviews(conn, cycle.id, period.key))
    _write_xlsx(files.xlsx, standing_steps.beside(conn, cycle, period.key, results), title=title)
    bulletin = bulletin or Bulletin(tenant_id=cycle.tenant_id, cycle_id=cycle.id, period=period.key, title=title,
                                    docx_path="", xlsx_path="")
    old = None if bulletin.id is None else {"title": bulletin.title, "docx": bulletin.docx_path,
                                            "xlsx": bulletin.xlsx_path, "version": bulletin.version}
    bulletin.title, bulletin.docx_path, bulletin.xlsx_path = title, str(files.docx), str(files.xlsx)
    bulletin.version, bulletin.reason = version, reason
    session.add(bulletin)
    session.flush()
    audit.record(session, tenant_id=cycle.tenant_id, actor=actor,
                 action="issue" if old is None or old["version"] == version else "reissue", entity="bulletin",
                 entity_id=bulletin.id, old=old, note=reason,
                 new={"period": period.key, "title": title, "docx": str(files.docx), "xlsx": str(files.xlsx),
                      "version": version})
    return bulletin


def _org_rows(frame: pd.DataFrame) -> list[list[str]]:
    return [[str(r.rank), r.name, r.parent_name or "", f"{r.total:.2f}", f"{r.rate:.2f}%",
             NOT_GRADED_LABEL[0] if r.grade == NOT_GRADED else r.grade, r.tier]
            for r in frame.itertuples()]


ORG_HEADERS = ["排名", "党组织", "上级党组织", "总分", "得分率", "等次", "档次"]


def standings_paragraphs(steps: pd.DataFrame, name: str) -> list[str]:
    """What a bulletin says of the standings a period moved (提档升级), from its steps (``standings.period_steps``,
    with the organisations' ``name``): a grading's counts of 提档, 降档 and 保持 and who went up or down; a watched
    period's relapses, each with its reason. Nothing for a period that moved none."""
    if steps.empty:
        return []
    graded = steps[steps["kind"] == "graded"]
    relapsed = steps[steps["kind"] == "relapse"]
    said = []
    if len(graded):
        moves = graded["move"].value_counts()
        said.append(f"本期定级：提档 {int(moves.get('up', 0))} 个，降档 {int(moves.get('down', 0))} 个，"
                    f"保持 {int(moves.get('hold', 0))} 个"
                    + (f"（首次定级 {int((steps['kind'] == 'initial').sum())} 个）" if (steps["kind"] == "initial").any()
                       else "") + "。")
        for move, word in (("up", "提档"), ("down", "降档")):
            moved = graded[(graded["move"] == move) & (graded["previous"] != graded["standing"])]
            if len(moved):
                said.append(f"{word}：" + "、".join(f"{r.name}（{r.previous}→{r.standing}）" for r in moved.itertuples())
                            + "。")
    if len(relapsed):
        said.append(f"以下党支部在{name}评定后出现反弹：" + "；".join(f"{r.name}：{r.reason}" for r in relapsed.itertuples())
                    + "。")
    return said


def _write_docx(files: BulletinFiles, results: pd.DataFrame, notices: pd.DataFrame, *, period: Period,
                today: date, bottom_tier: str, grades: list[str], organ: str, number: str, reissued: str = "",
                standings: list[str] | None = None, reviews: pd.DataFrame | None = None) -> None:
    """The bulletin as a 公文 (``layout``): the issuing organ's red mark and number, the title, the sections, the
    organ and the date."""
    doc = Official()
    doc.masthead(organ, number)
    doc.title(files.title)
    if reissued:
        doc.body(reissued, align=WD_ALIGN_PARAGRAPH.CENTER)
    scored = results[~results["vetoed"]]
    advanced = results[results["advanced_eligible"]]
    vetoed = results[results["vetoed"]]
    bottom = results[(results["tier"] == bottom_tier) & ~results["vetoed"]]
    counts = results["grade"].value_counts().reindex(grades, fill_value=0)
    graded = bool((results["grade"] != NOT_GRADED).any())  # a period the scheme grades (Scheme.graded)
    doc.heading("一、总体情况")
    # A year is read by its points; a shorter period by its rate: it is out of the points it assesses (本期考核分值).
    column, unit, what = ("total", " 分", "平均得分") if period.months == 12 else ("rate", "%", "平均得分率")
    doc.body(
        f"{period.label}共考核党组织 {len(results)} 个，{what} {results[column].mean():.2f}{unit}"
        f"（未被否决的 {len(scored)} 个平均 {scored[column].mean() if len(scored) else 0:.2f}{unit}），"
        + (f"达到先进标准的 {len(advanced)} 个，一票否决的 {len(vetoed)} 个。"
           f"各等次分布：{'，'.join(f'{g} {n} 个' for g, n in counts.items() if n)}。" if graded else
           f"一票否决的 {len(vetoed)} 个；本期排名、分档，不评定等次。")
    )
    doc.heading(f"二、排名前 {min(TOP, len(results))} 位")
    doc.table(ORG_HEADERS, _org_rows(results.head(TOP)))
    doc.heading("三、先进党组织")
    doc.body("、".join(advanced["name"]) + "。" if len(advanced) else
             "本期无达到先进标准的党组织。" if graded else "本期不评定等次，不评先进。")
    doc.heading(f"四、{bottom_tier}党组织")
    if len(bottom):
        doc.body(f"以下党组织处于{bottom_tier}，请认真查找差距，限期整改：")
        doc.table(ORG_HEADERS, _org_rows(bottom))
    else:
        doc.body(f"本期无未被否决的{bottom_tier}党组织。")
    if len(vetoed):
        doc.subheading("（一）一票否决")
        doc.body("；".join(f"{r.name}（{'、'.join(v.split('：')[0] for v in r.veto_reasons)}）"
                           for r in vetoed.itertuples()) + "。")
    section = 5
    if standings:  # 提档升级: a grading's moves, a watched period's relapses
        doc.heading(f"{chinese_number(section)}、提档升级")
        for text in standings:
            doc.body(text)
        section += 1
    if reviews is not None and len(reviews):  # 分级点评: the leaders' reviews of the period, as they wrote them
        doc.heading(f"{chinese_number(section)}、分级点评")
        for n, r in enumerate(review_order(reviews).itertuples(), start=1):
            doc.subheading(f"（{chinese_number(n)}）{r.name}（点评人：{r.reviewer}）")
            for label, text in (("成绩", r.achievements), ("问题", r.problems), ("今后努力方向", r.direction)):
                if text:
                    doc.body(f"{label}：{text}")
        section += 1
    doc.heading(f"{chinese_number(section)}、整改情况")
    if len(notices):
        doc.body(f"截至 {today:%Y年%m月%d日}，尚未复验通过的整改通知书 {len(notices)} 份：")
        doc.table(["通知书编号", "党组织", "问题", "整改期限", "状态"],
                  [[n.notice_no, n.name, n.problem, f"{n.deadline:%Y-%m-%d}", STATUS_LABELS.get(n.status, n.status)]
                   for n in notices.itertuples()])
    else:
        doc.body("本期无未完成的整改事项。")
    doc.body(f"附件：{files.xlsx.name}")
    doc.body("")
    doc.signed(organ, today)
    doc.save(files.docx)


LEVEL_ORDER = {"committee": 0, "general_branch": 1, "branch": 2}


def review_order(reviews: pd.DataFrame) -> pd.DataFrame:
    """Reviews as a bulletin lists them: the committees' first, then the general branches', the branches' last; by
    code within a level, in the order written for one organisation."""
    return reviews.assign(_level=reviews["level"].map(LEVEL_ORDER).fillna(3)).sort_values(
        ["_level", "code", "created_at", "id"], kind="stable")


STATUS_LABELS = {"issued": "已下发", "responded": "已反馈", "verified": "复验通过", "reopened": "复验未通过",
                 "overdue": "逾期未整改"}


def _write_xlsx(path: Path, results: pd.DataFrame, *, title: str) -> None:
    """The full table, every text a safe cell (an organisation named ``=HYPERLINK(…)`` stays text)."""
    columns = {**TABLE_COLUMNS, **({"standing": "定级"} if "standing" in results else {})}  # standings.beside
    table = results.assign(vetoes=results["veto_reasons"].map("；".join),
                           grade=results["grade"].replace(NOT_GRADED, NOT_GRADED_LABEL[0]))[list(columns)]
    path.write_bytes(xlsx(sheet_name="考核结果", title=title, headers=list(columns.values()),
                          rows=([None if pd.isna(v) else v for v in row] for row in table.itertuples(index=False)),
                          header_fill="DDDDDD"))
