"""Importing ratings (测评): ballot scores and levels from members, peers, superiors …"""

from __future__ import annotations

from ..ballots.questions import rating_problems, rating_rules
from ..models import Rating, utcnow
from .context import Context, flag_duplicates, insert_rows, reject, resolve_orgs, stored_keys, years
from .report import ImportReport
from .rows import Record

RATING_KEY = ("org_code", "source", "rater", "indicator_code", "date")  # the same fact: a re-import skips it


def import_ratings(context: Context, records: list[Record]) -> ImportReport:
    """Each row a rating, valid by the ballots' own rule (:func:`bastion.core.ballots.questions.rating_problems`)."""
    org_ids = resolve_orgs(context, records)
    rules = rating_rules(context.session, context.tenant.id, context.registry, years=years(records))
    for record in records:
        if record.ok("indicator_code"):  # a code that could not be read is not an overall rating
            problems = rating_problems(rules, source=record["source"], day=record["date"],
                                       indicator_code=record["indicator_code"], score=record["score"],
                                       level=record["level"], rater=record["rater"] or "")
            reject(context, record, problems)
    keyed = [(r, (org_ids[r["org_code"]], r["source"], r["rater"] or "", r["indicator_code"], r["date"]))
             for r in records if r.ok("org_code", "source", "indicator_code", "date", "score", "level")]
    flag_duplicates(context, keyed, RATING_KEY)
    context.errors.raise_if_any()

    stored = stored_keys(context, Rating, ("org_id", "source", "rater", "indicator_code", "date"), records)
    now = utcnow()
    rows = [{"tenant_id": context.tenant.id, "org_id": key[0], "source": key[1], "rater": key[2],
             "indicator_code": key[3], "score": record["score"], "level": record["level"], "date": key[4],
             "note": record["note"] or "", "recorded_at": now} for record, key in keyed if key not in stored]
    insert_rows(context.session, Rating.__table__, rows)
    return ImportReport("ratings", context.file, inserted=len(rows), skipped=len(keyed) - len(rows))
