"""Importing ratings (测评): ballot scores and levels from members, peers, superiors …"""

from __future__ import annotations

from ..i18n import tr
from ..models import Rating
from .cells import RATING_LEVELS
from .context import Context, check_indicators, flag_duplicates, insert_rows, resolve_orgs, stored_keys
from .report import ImportReport
from .rows import Record

RATING_KEY = ("org_code", "source", "rater", "indicator_code", "date")  # the same fact: a re-import skips it


def import_ratings(context: Context, records: list[Record]) -> ImportReport:
    org_ids = resolve_orgs(context, records)
    check_indicators(context, records)
    for record in records:
        if record["score"] is None and record["level"] is None and record.ok("score", "level"):
            record.bad.add("score")
            levels = "/".join(RATING_LEVELS)
            context.errors.add(record.row, "score", tr(f"请填写分数（0–100）或等次（{levels}），或两者都填",
                                                       f"give a score (0–100) or a level ({levels}), or both"))
    keyed = [(r, (org_ids[r["org_code"]], r["source"], r["rater"] or "", r["indicator_code"], r["date"]))
             for r in records if r.ok("org_code", "source", "indicator_code", "date", "score", "level")]
    flag_duplicates(context, keyed, RATING_KEY)
    context.errors.raise_if_any()

    stored = stored_keys(context, Rating, ("org_id", "source", "rater", "indicator_code", "date"), records)
    rows = [{"tenant_id": context.tenant.id, "org_id": key[0], "source": key[1], "rater": key[2],
             "indicator_code": key[3], "score": record["score"], "level": record["level"], "date": key[4],
             "note": record["note"] or ""} for record, key in keyed if key not in stored]
    insert_rows(context.session, Rating.__table__, rows)
    return ImportReport("ratings", context.file, inserted=len(rows), skipped=len(keyed) - len(rows))
