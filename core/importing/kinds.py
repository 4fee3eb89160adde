"""The kinds of import file and their columns: key, Chinese label, parser, what each allows.

A column's parser reads a cell as text, a number, a date or one of a list; what makes the value valid
beyond that (a quantity above 0, a deduction within the indicator's points, a title's length …) is the
concept's own rule, applied to the record (:mod:`.context`), so the importer gives the reasons every
other entry point gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import BastionError
from ..i18n import tr
from ..values import check_text
from .cells import (
    CHECK_KIND_NAMES,
    MEMBER_STATUS_NAMES,
    RATING_LEVELS,
    RESTRUCTURING_NAMES,
    SOURCE_NAMES,
    chinese_first,
    parse_check_kind,
    parse_codes,
    parse_count,
    parse_date,
    parse_gender,
    parse_level,
    parse_member_status,
    parse_number,
    parse_rating_level,
    parse_restructuring_kind,
    parse_source,
    parse_text,
    parse_yes,
)

KINDS = ("organizations", "ledger", "findings", "ratings", "members", "restructure")


@dataclass(frozen=True)
class Column:
    """One column of an import file: its key, Chinese label, parser and what it allows."""

    key: str
    label: str
    required: bool = False
    parse: Callable[[Any], Any] = parse_text
    allowed: str = ""  # in Chinese: the meaning and the allowed values (template 说明 sheet, docs)
    example: Any = None
    max_length: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        """The template header, e.g. ``组织编码 code``: readable in Chinese, exact in English."""
        return f"{self.label} {self.key}"

    @property
    def name(self) -> str:
        """The column as a person reads it in the current language: its header's Chinese label, or its key."""
        return tr(self.label, self.key)

    def value(self, raw: Any) -> Any:
        """The cell parsed; a text also free of control characters (:mod:`bastion.core.values`) and within
        ``max_length``."""
        value = self.parse(raw)
        if value.__class__ is str:
            check_text(value)
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            raise ValueError(tr(f"长 {len(value)} 个字符，最多允许 {self.max_length} 个",
                                f"is {len(value)} characters long; at most {self.max_length} are allowed"))
        return value


@dataclass(frozen=True)
class Kind:
    name: str
    title: str  # the sheet name of the template
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = ()  # kind-specific rules for the template's 说明 sheet

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def field_name(self, key: str) -> str:
        """The field ``key`` named by its template header in the current language (:attr:`Column.name`);
        a key that is no column of the kind as it is."""
        return next((c.name for c in self.columns if c.key == key), key)


def _org_code() -> Column:
    return Column("org_code", "组织编码", required=True, max_length=64, example="ZB01",
                  allowed="组织编码，须已导入（先导入组织机构）")


ORGANIZATIONS = Kind("organizations", "组织机构", (
    Column("code", "组织编码", required=True, max_length=64, example="DW",
           allowed="组织的唯一编码；已存在则更新该组织（按编码覆盖），不存在则新增"),
    Column("name", "组织名称", required=True, max_length=200, example="示范集团有限公司党委", allowed="组织全称"),
    Column("parent_code", "上级组织编码", max_length=64, example=None,
           allowed="可空（最高层组织）；须是本文件或系统中已有的组织编码，不得形成循环"),
    Column("level", "层级", required=True, parse=parse_level, example="党委",
           allowed="党委 committee / 党总支 general_branch（直属党组织）/ 党支部 branch / 党小组 group；"
                   "党支部的上级须为党委或党总支，党小组的上级须为党支部，党总支的上级须为党委"),
    Column("category", "类别", max_length=64, example=None,
           allowed="支部类别，自由填写，如 机关、生产一线、经营服务、离退休（按类别差别化设定目标）"),
    Column("secretary", "书记", max_length=100, example="王建国", allowed="书记姓名"),
    Column("secretary_term_start", "任期开始", parse=parse_date, example=date(2024, 1, 8),
           allowed="书记本届任期开始日期"),
    Column("secretary_term_end", "任期结束", parse=parse_date, example=date(2028, 1, 7),
           allowed="书记本届任期届满日期（届任制：届满须换届）"),
    Column("first_secretary", "第一书记", max_length=100, example=None, allowed="可空；联系该组织的领导班子成员"),
    Column("member_count", "党员人数", parse=parse_count, example=326, allowed="整数 ≥ 0，空为 0"),
    Column("staff_count", "职工人数", parse=parse_count, example=2150, allowed="整数 ≥ 0，空为 0"),
    Column("party_staff_count", "党务工作人员数", parse=parse_count, example=28,
           allowed="整数 ≥ 0，空为 0（党务工作人员一般占职工总数 1%–2%）"),
), notes=(
    "按组织编码新增或更新：已有的组织，文件中有的列覆盖原值（空单元格清空该项），文件中没有的列保持不变；"
    "文件中未列出的组织不受影响。",
    "上级组织可以在本文件中（行的先后不限），也可以是系统中已有的组织。",
))

LEDGER = Kind("ledger", "台账", (
    _org_code(),
    Column("type", "台账类型", required=True, max_length=64, example="志愿服务",
           allowed="本企业已启用插件提供的台账类型，填编码或中文名称，如 branch_assembly（支部党员大会）、"
                   "committee_meeting（支委会）、party_lecture（党课）、volunteer_service（志愿服务）"),
    Column("date", "日期", required=True, parse=parse_date, example=date(2026, 3, 5),
           allowed="活动日期：2026-03-05、2026/3/5 或 Excel 日期；须在本单位已开启的考核年度内，且不在考核结果已审核或已发布的考核期（月、季度、半年、年度）内"
                   "（单位接受迟到的事实时，这样的行导入时须选择：--late next 计入下一考核期，或 --late correction 走更正）"),
    Column("quantity", "数量", parse=parse_number, example=24,
           allowed="台账类型有计量单位时必填，须大于 0（如志愿服务的小时数、发展党员的人数）；其他类型每条计为一次，不填数量"),
    Column("title", "标题", required=True, example="“学雷锋”社区志愿服务",
           allowed="活动名称或主题，最多 300 个字符"),
    Column("note", "备注", example="12名党员参加，每人2小时", allowed="可空"),
))

FINDINGS = Kind("findings", "检查发现", (
    _org_code(),
    Column("date", "检查日期", required=True, parse=parse_date, example=date(2026, 4, 18), aliases=("日期",),
           allowed="检查日期，不晚于今天；须在本单位已开启的考核年度内，且不在考核结果已审核或已发布的考核期（月、季度、半年、年度）内"
                   "（单位接受迟到的事实时，这样的行导入时须选择：--late next 计入下一考核期，或 --late correction 走更正）"),
    Column("check_kind", "检查方式", required=True, parse=parse_check_kind, example="日常督查",
           allowed=chinese_first(CHECK_KIND_NAMES) + "（也可写“抽查”）"),
    Column("inspector", "检查人", max_length=100, example="公司党委督查组", allowed="检查人或检查组"),
    Column("indicator_code", "指标编码", max_length=64, example="B6-1",
           allowed="可空；填写时须为检查日期所在年度方案中计入检查发现的指标（评分规则读取检查发现，"
                   "如 finding_deduction、veto_on_finding），扣分计入该指标"),
    Column("deduction", "扣分", parse=parse_number, example=1,
           allowed="数字，0 至该指标的分值；空为 0；未填指标时不扣分"),
    Column("description", "问题描述", required=True, example="支部工作记录不规范：3月支委会记录缺少参会人员签到",
           allowed="发现的问题"),
), notes=(
    "同一组织、同一检查日期、同一检查方式和检查人的问题，归入同一次检查（已有的检查记录会沿用）。",
    "与已导入的问题（组织、日期、指标编码、问题描述均相同）重复的行自动跳过。",
))

RATINGS = Kind("ratings", "测评", (
    _org_code(),
    Column("source", "测评来源", required=True, parse=parse_source, example="上级机关",
           allowed=chinese_first(SOURCE_NAMES) + "（也可写“民主测评”“互评”“考评”）"),
    Column("rater", "测评人", max_length=100, example="票001",
           allowed="自评、述职评议等公开测评填测评人；党员群众、其他支部书记、上级机关测评为无记名投票，不填姓名，"
                   "可填票号（如 票001；同一组织、来源、测评人、指标、日期只能有一条）"),
    Column("indicator_code", "指标编码", max_length=64, example="B1-4",
           allowed="可空（总体评价）；填写时须为测评日期所在年度方案中读取该来源测评的指标"),
    Column("score", "分数", parse=parse_number, example=None,
           allowed="0–100；打分的测评项目（总体评价、按分数评分的指标）必填"),
    Column("level", "等次", parse=parse_rating_level, example="优秀", aliases=("等级",),
           allowed="/".join(RATING_LEVELS) + "；定性评定的指标必填，须为其评分规则的等次"),
    Column("date", "测评日期", required=True, parse=parse_date, example=date(2026, 12, 20), aliases=("日期",),
           allowed="测评日期；须在本单位已开启的考核年度内，且不在考核结果已审核或已发布的考核期（月、季度、半年、年度）内"),
    Column("note", "备注", example="年终考评：班子团结，工作扎实", allowed="可空"),
), notes=(
    "组织、测评来源、测评人、指标编码、测评日期相同的视为同一条测评：重复导入自动跳过，同一文件内重复则报错。"
    "匿名的党员群众测评请在“测评人”中填写票号。",
))

RESTRUCTURE = Kind("restructure", "机构调整", (
    Column("kind", "调整类型", required=True, parse=parse_restructuring_kind, example="合并",
           allowed=chinese_first(RESTRUCTURING_NAMES) + "（也可写“拆分”“划转”“改名”）"),
    Column("effective_on", "生效日期", required=True, parse=parse_date, example=date(2026, 7, 1),
           allowed="调整生效的日期，不晚于今天。生效日期落在已审核或已发布的考核期内也可以：这些考核期的结果保持发布时的样子；"
                   "尚未审核或发布的考核期此后按调整后的组织机构评分"),
    Column("from_codes", "原组织编码", required=True, parse=parse_codes, example="ZB01、ZB02",
           allowed="被调整的组织编码。合并：两个或以上，用顿号、逗号或空格分隔；其余类型：一个"),
    Column("code", "新组织编码", max_length=64, example="ZB50",
           allowed="合并：合并后的组织编码——新编码（新建该组织），或已有组织的编码（并入该组织）；"
                   "分设：每个新组织一行，填各自的新编码（不得与已有编码相同）；其余类型不填"),
    Column("name", "新组织名称", max_length=200, example="机关联合党支部",
           allowed="合并为新组织、分设出的新组织：必填；更名：新名称；其余不填"),
    Column("parent_code", "上级组织编码", max_length=64, example=None,
           allowed="调整隶属：新的上级组织（必填）；合并、分设：新组织的上级，可空（空：沿用原组织的上级）"),
    Column("category", "类别", max_length=64, example=None, allowed="合并、分设：新组织的类别，可空（空：沿用原组织的类别）"),
    Column("member_count", "党员人数", parse=parse_count, example=None,
           allowed="合并、分设：新组织的党员人数，可空（合并空为各原组织之和，分设空为 0）"),
    Column("heir", "承继历史", parse=parse_yes, example=None,
           allowed="分设：填“是”的那一行的新组织承继原组织的历次考核结果、下属组织及尚未发布考核期的台账等记录；"
                   "都不填时为该次分设的第一行"),
    Column("note", "说明", example="机关党支部合并", allowed="可空：调整的依据，如党委文件文号"),
), notes=(
    "每行一项机构调整，按行的先后依次办理：后面的行可以调整前面的行新建的组织。",
    "分设：原组织相同、生效日期相同的相邻各行为同一次分设，每行一个新组织（至少两行）。",
    "合并、分设、撤销后的原组织停用（保留记录，已发布的考核结果仍指向它）；合并后的组织接续各原组织的历次考核结果；"
    "尚未审核或发布的考核期中原组织的台账、检查发现和测评计入合并后的组织（分设时计入承继历史的新组织）。",
    "撤销：组织下不得再有在用的下属组织；其尚未发布考核期的记录不再计入任何组织。",
    "与已办理的调整相同的行（如同一文件再次导入）自动跳过。",
))

MEMBERS = Kind("members", "党员名册", (
    Column("code", "党员编号", required=True, max_length=64, example="DY0001",
           allowed="本单位内每名党员唯一的编号；已在名册中则更新该党员（按编号），不在则登记入名册"),
    Column("name", "姓名", required=True, max_length=100, example="李明"),
    Column("org_code", "组织编码", required=True, max_length=64, example="ZB01",
           allowed="党员组织关系所在的党支部或党小组的编码，须已导入且在用；与名册中不同即为组织关系转接，须填转接日期"),
    Column("gender", "性别", parse=parse_gender, example="男", allowed="男 / 女，可空"),
    Column("birth_date", "出生日期", parse=parse_date, example=date(1986, 5, 12),
           allowed="可空；不晚于今天（个人信息：导出时仅向管理员完整显示）"),
    Column("joined_on", "入党日期", parse=parse_date, example=date(2010, 7, 1),
           allowed="可空；不晚于今天，入党时须年满 18 岁（预备党员填接收为预备党员的日期）"),
    Column("status", "党员类别", required=True, parse=parse_member_status, example="正式党员",
           allowed=chinese_first(MEMBER_STATUS_NAMES) + "（也可写“正式”“预备”）"),
    Column("post", "岗位", max_length=100, example="综合办公室主任", allowed="可空：岗位或职务（以岗定责）"),
    Column("phone", "联系电话", max_length=32, example="13812345678",
           allowed="可空：手机号码（11 位）或固定电话（区号-号码）（个人信息：导出时仅向管理员完整显示）"),
    Column("moved_on", "转接日期", parse=parse_date, example=None,
           allowed="组织关系转接的日期：党员转到名册中另一组织时必填，不晚于今天、不早于其上一次转接；"
                   "新登记的党员可填转入本单位的日期，空为导入当天"),
), notes=(
    "按党员编号新增或更新：已在名册中的党员，文件中有的列覆盖原值（空单元格清空该项），文件中没有的列保持不变。",
    "组织编码与名册中不同的行即为组织关系转接，记入该党员的转接历史；离开名册（转出本单位、出党、去世）请在系统管理页面或用 "
    "bastion members leave 办理。",
    "有党员名册的组织，其党员人数由名册计算（本组织及其党小组的在册党员），不再按组织机构文件填写。",
))

BY_NAME = {k.name: k for k in (ORGANIZATIONS, LEDGER, FINDINGS, RATINGS, MEMBERS, RESTRUCTURE)}
assert tuple(BY_NAME) == KINDS


def kind_spec(kind: str) -> Kind:
    """The columns of an import kind."""
    try:
        return BY_NAME[kind]
    except KeyError:
        raise BastionError(tr(f"没有导入类型 {kind!r}；可用：{'、'.join(KINDS)}",
                              f"unknown import kind {kind!r}; use one of: {', '.join(KINDS)}")) from None
