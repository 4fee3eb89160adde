"""Importing restructurings (机构调整): each row one change — a merge, a move, a rename, a dissolution — or one new
organisation of a split, done in the file's order by ``core.restructuring`` (the rules the administrators' page and
``bastion org`` apply), the whole file or nothing.

The adjacent rows of a split (the same kind, original organisation and effective date) are one split, each row one
new organisation. Every change runs under a savepoint: a refused one is taken back and reported under its row and
field, and the rows after it are still checked (against the tree the rows before them left), so one import names
every problem it can. A row that repeats a change already made (the file imported again) is skipped.
"""

from __future__ import annotations

from itertools import groupby

from ..errors import BastionError
from ..i18n import tr
from ..lifecycle import AlreadyDone
from ..models import RestructuringKind
from ..words import RESTRUCTURING
from .context import Context
from .report import ImportReport
from .rows import Record

#: What each kind needs besides its kind, date and original organisation(s).
NEEDS = {RestructuringKind.merge: ("code",), RestructuringKind.split: ("code", "name"),
         RestructuringKind.move: ("parent_code",), RestructuringKind.rename: ("name",),
         RestructuringKind.dissolve: ()}


def import_restructurings(context: Context, records: list[Record]) -> ImportReport:
    from ..restructuring import (
        service,  # at call time: core.restructuring reads the import's columns (.kinds)
    )

    done = skipped = 0
    for change in _changes(context, records):
        first = change[0]
        savepoint = context.session.begin_nested()
        try:
            _apply(service, context, change)
        except AlreadyDone:
            savepoint.rollback()
            skipped += len(change)
        except service.Refused as refused:
            savepoint.rollback()
            context.errors.add(first.row, refused.key, refused.reason)
        except BastionError as exc:
            savepoint.rollback()
            context.errors.add(first.row, "", str(exc))
        else:
            savepoint.commit()
            done += 1
    context.errors.raise_if_any()
    return ImportReport("restructure", context.file, inserted=done, skipped=skipped)


def _changes(context: Context, records: list[Record]) -> list[list[Record]]:
    """The file's changes in its order: each row, but the adjacent rows of one split together; rows with a problem
    of their own (a cell that could not be read, a field their kind needs left blank) are reported and left out."""
    usable = []
    for record in records:
        if not record.ok("kind", "effective_on", "from_codes"):
            continue
        kind = RestructuringKind(record["kind"])
        missing = [key for key in NEEDS[kind] if record[key] is None and record.ok(key)]
        for key in missing:
            record.bad.add(key)
            context.errors.add(record.row, key, tr(f"{_word(kind)}须填写此项", f"a {kind.value} needs it"))
        if kind != RestructuringKind.merge and len(record["from_codes"]) > 1:
            record.bad.add("from_codes")
            context.errors.add(record.row, "from_codes", tr(f"{_word(kind)}只填一个原组织编码",
                                                            f"a {kind.value} names one organisation"))
        if record.ok(*NEEDS[kind], "from_codes", "name", "parent_code", "category", "member_count", "heir", "code"):
            usable.append(record)

    def key(record: Record) -> tuple:
        if record["kind"] == RestructuringKind.split:
            return ("split", record["from_codes"], record["effective_on"])
        return ("row", record.row)

    return [list(rows) for _, rows in groupby(usable, key=key)]


def _apply(service, context: Context, change: list[Record]) -> None:
    first = change[0]
    common = {"tenant_id": context.tenant.id, "actor": context.actor, "effective_on": first["effective_on"],
              "note": first["note"] or "", "today": context.today}
    kind, codes = RestructuringKind(first["kind"]), first["from_codes"]
    if kind == RestructuringKind.merge:
        service.merge_as(context.session, codes=codes, into=first["code"], name=first["name"],
                         parent_code=first["parent_code"], category=first["category"],
                         member_count=first["member_count"], **common)
    elif kind == RestructuringKind.split:
        heirs = [r["code"] for r in change if r["heir"]]
        if len(heirs) > 1:
            raise service.Refused(service.HEIR, tr(f"同一次分设只能有一个新组织承继历史：{'、'.join(heirs)}",
                                             f"one new organisation of a split carries its history: {', '.join(heirs)}"))
        successors = [service.Successor(r["code"], r["name"], r["member_count"], r["category"], r["parent_code"])
                      for r in change]
        service.split_as(context.session, code=codes[0], into=successors, heir=heirs[0] if heirs else None, **common)
    elif kind == RestructuringKind.move:
        service.move_as(context.session, code=codes[0], parent_code=first["parent_code"], **common)
    elif kind == RestructuringKind.rename:
        service.rename_as(context.session, code=codes[0], name=first["name"], **common)
    else:
        service.dissolve_as(context.session, code=codes[0], **common)


def _word(kind: RestructuringKind) -> str:
    return RESTRUCTURING[kind.value][0]
