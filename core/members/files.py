"""The register as a file (党员名册导出): a .csv in the import template's columns — the same file imported back
updates nothing — or a readable .xlsx with a title row; personal data as the reader's export view
(:mod:`.privacy`), every text cell safe (``core.exports``)."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd

from ..exports import write_csv, xlsx
from ..i18n import tr
from ..importing.cells import GENDER_NAMES, MEMBER_STATUS_NAMES
from ..importing.kinds import MEMBERS
from .queries import labelled

TEMPLATE_KEYS = ("code", "name", "org_code", "gender", "birth_date", "joined_on", "status", "post", "phone")


def register_csv(members: pd.DataFrame) -> bytes:
    """The register (``queries.read_members(export=True)``) in the import template's columns and its Chinese words
    (正式党员, 男), whatever the reader's language: the file imports back as it is."""
    words = members.copy()
    words["gender"] = words["gender"].map(lambda g: GENDER_NAMES.get(g, g))
    words["status"] = words["status"].map(lambda s: MEMBER_STATUS_NAMES.get(s, s))
    headers = [MEMBERS.column(key).header for key in TEMPLATE_KEYS]
    stream = io.StringIO(newline="")
    write_csv(stream, [headers, *([_cell(row[key]) for key in TEMPLATE_KEYS] for _, row in words.iterrows())])
    return stream.getvalue().encode("utf-8")


def register_xlsx(members: pd.DataFrame, *, title: str) -> bytes:
    """The register as a workbook for reading: a title row, the organisation's name, whether still on it."""
    words = labelled(members)
    headers = [tr("党员编号", "Number"), tr("姓名", "Name"), tr("组织编码", "Organisation"), tr("组织名称", "Name of it"),
               tr("性别", "Gender"), tr("出生日期", "Born"), tr("入党日期", "Joined"), tr("党员类别", "Status"),
               tr("岗位", "Post"), tr("联系电话", "Phone"), tr("离开名册日期", "Left on")]
    rows = ([r.code, r.name, r.org_code, r.org_name, r.gender, r.birth_date, _cell(r.joined_on), r.status, r.post,
             r.phone, _cell(r.left_on)] for r in words.itertuples())
    return xlsx(sheet_name="党员名册", title=title, headers=headers, rows=rows)


def _cell(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else value
