"""Benchmark: score a synthetic enterprise of N branches × K indicators, against the floor.

    python benchmarks/bench_scoring.py --branches 10000 --indicators 60 [--database-url URL] [--seed 1]

1. Builds a fresh database (a temp SQLite file by default; with ``--database-url`` the schema is
   dropped and recreated), a tenant with the plugins standard-rules, standard-ledgers and
   bench-scheme (``benchmarks/synthetic_scheme.py``), a cycle, N branches and a year of facts
   (``bastion.synthetic``, fixed seed). Timed, but not part of the goal.
2. The floor (in a fresh subprocess): one SQL statement that reads the same fact rows, groups and
   sums them per (organisation, indicator) and writes the groups to a scratch table.
3. The annual scoring stage as Bastion runs it (in a fresh subprocess): read
   (``core.scoring.read_inputs``), then score and write (``scoring.write_scores`` in one
   transaction, the engine's slices timed apart from the writing). Then, untimed for the goal,
   the cost of the bulk delete a rescore does first.
4. Optionally (``--end-to-end``) ``scoring.score_period`` as composed, in another subprocess, as a
   check that the phases add up.

Peak memory is the subprocess's ``ru_maxrss`` (high-water mark) after each phase, so each stage's
peak is its own. Prints a table and writes a JSON file to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
GOAL_SECONDS = 60.0
GOAL_RATIO = 3.0
GOAL_PEAK_MIB = 2048.0
TENANT = "bench"
PLUGINS = ("standard-rules", "standard-ledgers", "bench-scheme")
ACTOR = "bench"

sys.path.insert(0, str(HERE))


# --- measuring -----------------------------------------------------------------------------------


def maxrss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """This process's resident set size now."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


class Phases:
    """Wall time and memory of consecutive phases, optionally profiled one by one."""

    def __init__(self, profile: str | None = None, profile_dir: Path | None = None, tag: str = "") -> None:
        self.out: dict[str, dict[str, float]] = {}
        self.profile, self.profile_dir, self.tag = profile, profile_dir, tag
        self.profiles: dict[str, str] = {}

    def run(self, name: str, fn, *args, **kwargs):
        profiler = None
        if self.profile == "pyinstrument":
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.005)
            profiler.start()
        elif self.profile == "cprofile":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
        if profiler is not None:
            self._save(name, profiler)
        self.out[name] = {"seconds": round(seconds, 3), "maxrss_mib": round(maxrss_mib(), 1),
                          "rss_mib": round(rss_mib(), 1)}
        return value

    def _save(self, name: str, profiler) -> None:
        assert self.profile_dir is not None
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        base = self.profile_dir / f"{self.tag}-{name}"
        if self.profile == "pyinstrument":
            profiler.stop()
            base.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))
            base.with_suffix(".html").write_text(profiler.output_html())
            self.profiles[name] = str(base.with_suffix(".txt"))
        else:
            import io
            import pstats

            profiler.disable()
            profiler.dump_stats(str(base.with_suffix(".prof")))
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(30)
            base.with_suffix(".txt").write_text(text.getvalue())
            self.profiles[name] = str(base.with_suffix(".txt"))


# --- stages (each runs in its own subprocess) ----------------------------------------------------


def _registry(indicators: int):
    from bastion.core.registry import Registry
    from synthetic_scheme import build_scheme, plugin

    scheme = build_scheme(indicators)
    registry = Registry.load(extra=[("bench-scheme", plugin(scheme))])
    if registry.problems:
        raise RuntimeError(f"plugin problems: {registry.problems}")
    return scheme, registry


def _engine(url: str):
    from bastion.core import db

    return db.make_engine(url)


def stage_generate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Tenant, cycle, organisation tree and a year of facts; returns the ids and counts."""
    from bastion.core import cycles, tenants
    from bastion.core.db import transaction
    from sqlalchemy import text

    from bastion.synthetic import build_tree, generate_facts

    scheme, registry = _registry(cfg["indicators"])
    engine = _engine(cfg["url"])
    phases = Phases()

    def setup():
        with transaction(engine) as session:
            tenant = tenants.create_tenant(session, code=TENANT, name="基准测试集团", plugins=PLUGINS,
                                           registry=registry, actor=ACTOR)
            cycle = cycles.open_cycle(session, tenant=tenant, year=cfg["year"], registry=registry, actor=ACTOR,
                                      scheme_id=scheme.id)
        return tenant.id, cycle.id, cycles.cycle_scheme(cycle)

    tenant_id, cycle_id, frozen = phases.run("tenant_cycle", setup)
    orgs = phases.run("tree", build_tree, engine, tenant_id=tenant_id, branches=cfg["branches"], seed=cfg["seed"],
                      year=cfg["year"])

    def facts():
        counts = {"ledger_entries": 0, "findings": 0, "ratings": 0}
        chunk = cfg["chunk"] or len(orgs)
        for n, start in enumerate(range(0, len(orgs), chunk)):
            part = orgs.iloc[start:start + chunk].reset_index(drop=True)
            made = generate_facts(engine, tenant_id=tenant_id, scheme=frozen, branches=part, year=cfg["year"],
                                  seed=cfg["seed"] + 7919 * n)
            counts["ledger_entries"] += made.ledger_entries
            counts["findings"] += made.findings
            counts["ratings"] += made.ratings
        return counts

    counts = phases.run("facts", facts)

    def analyze():
        # A database that has been in use has statistics; and no multi-GB WAL left by the bulk load.
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))

    phases.run("analyze", analyze)
    engine.dispose()
    return {"tenant_id": tenant_id, "cycle_id": cycle_id, "branches": len(orgs), **counts, "phases": phases.out}


FLOOR_TABLES = """
CREATE TABLE bench_ledger_map (indicator_code VARCHAR(64) NOT NULL, ledger_type VARCHAR(64) NOT NULL);
CREATE TABLE bench_ballot_map (indicator_code VARCHAR(64) NOT NULL, source VARCHAR(16) NOT NULL);
CREATE TABLE bench_level_map (indicator_code VARCHAR(64) NOT NULL, source VARCHAR(16) NOT NULL);
CREATE TABLE bench_floor (org_id INTEGER NOT NULL, indicator_code VARCHAR(64) NOT NULL, n INTEGER NOT NULL,
                          amount FLOAT);
"""

# One statement: every fact row of the period, grouped and summed per (organisation, indicator), written.
# Facts are grouped per (organisation, ledger type / rating source) first, then fanned out to the
# indicators that use them (a ledger type may feed several indicators): the same sums, fewer join rows.
FLOOR_SQL = """
INSERT INTO bench_floor (org_id, indicator_code, n, amount)
SELECT g.org_id, m.indicator_code, g.n, g.amount
  FROM (SELECT org_id, type, count(*) AS n, sum(coalesce(quantity, 1.0)) AS amount
          FROM ledgerentry
         WHERE tenant_id = :tenant AND date >= :start AND date < :end
         GROUP BY org_id, type) g
  JOIN bench_ledger_map m ON m.ledger_type = g.type
UNION ALL
SELECT org_id, indicator_code, count(*), sum(deduction)
  FROM finding
 WHERE tenant_id = :tenant AND date >= :start AND date < :end
 GROUP BY org_id, indicator_code
UNION ALL
SELECT g.org_id, m.indicator_code, g.n, g.amount
  FROM (SELECT org_id, source, count(*) AS n, sum(score) AS amount
          FROM rating
         WHERE tenant_id = :tenant AND date >= :start AND date < :end AND indicator_code IS NULL
         GROUP BY org_id, source) g
  JOIN bench_ballot_map m ON m.source = g.source
UNION ALL
SELECT g.org_id, g.indicator_code, g.n, g.amount
  FROM (SELECT org_id, indicator_code, source, count(*) AS n, count(level) AS amount
          FROM rating
         WHERE tenant_id = :tenant AND date >= :start AND date < :end AND indicator_code IS NOT NULL
         GROUP BY org_id, indicator_code, source) g
  JOIN bench_level_map m ON m.indicator_code = g.indicator_code AND m.source = g.source
"""


def prepare_floor(engine, scheme) -> None:
    """The scratch tables of the floor, and the indicator → fact mapping the scheme implies (untimed)."""
    from sqlalchemy import text

    ledger, ballot, level = [], [], []
    for spec in scheme.indicators():
        p = spec.params
        if spec.rule in ("ledger_target", "ledger_per_item"):
            ledger.append({"c": spec.code, "t": p["ledger_type"]})
        elif spec.rule == "ballot_score":
            for s in p.get("sources") or list(scheme.source_weights):
                ballot.append({"c": spec.code, "s": s})
        elif spec.rule == "level_score":
            for s in p.get("sources") or ["superior"]:
                level.append({"c": spec.code, "s": s})
    with engine.begin() as conn:
        for name in ("bench_floor", "bench_ledger_map", "bench_ballot_map", "bench_level_map"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        for statement in filter(str.strip, FLOOR_TABLES.split(";")):
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO bench_ledger_map VALUES (:c, :t)"), ledger)
        if ballot:
            conn.execute(text("INSERT INTO bench_ballot_map VALUES (:c, :s)"), ballot)
        if level:
            conn.execute(text("INSERT INTO bench_level_map VALUES (:c, :s)"), level)


def stage_floor(cfg: dict[str, Any]) -> dict[str, Any]:
    from bastion.core.engine import Period
    from sqlalchemy import text

    scheme, _ = _registry(cfg["indicators"])
    engine = _engine(cfg["url"])
    prepare_floor(engine, scheme)
    period = Period.parse(str(cfg["year"]))
    phases = Phases()
    baseline = maxrss_mib()

    sql = FLOOR_SQL
    if engine.dialect.name == "sqlite" and period.months >= 6:
        # A half-year or a year covers most of the tenant's rows: a table scan beats following the
        # (tenant_id, date) index, which SQLite's planner picks (7.4 s vs 3.4 s at 10k branches).
        for table in ("ledgerentry", "finding", "rating"):
            sql = sql.replace(f"FROM {table}\n", f"FROM {table} NOT INDEXED\n")

    def floor():
        with engine.begin() as conn:
            conn.execute(text(sql), {"tenant": cfg["tenant_id"], "start": period.start, "end": period.end})

    phases.run("floor", floor)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM bench_floor")).scalar_one()
    engine.dispose()
    return {"baseline_maxrss_mib": round(baseline, 1), "rows_written": rows, "phases": phases.out, "sql": sql}


def _clear_drafts(engine, cycle_id: int, period: str) -> None:
    from bastion.core.models import BlockSubtotal, Evaluation, EvaluationLine
    from sqlalchemy import delete, select

    ev_t, line_t, block_t = Evaluation.__table__, EvaluationLine.__table__, BlockSubtotal.__table__
    with engine.begin() as conn:
        old_ids = select(ev_t.c.id).where(ev_t.c.cycle_id == cycle_id, ev_t.c.period == period).scalar_subquery()
        conn.execute(delete(block_t).where(block_t.c.evaluation_id.in_(old_ids)))
        conn.execute(delete(line_t).where(line_t.c.evaluation_id.in_(old_ids)))
        conn.execute(delete(ev_t).where(ev_t.c.cycle_id == cycle_id, ev_t.c.period == period))


def stage_pipeline(cfg: dict[str, Any]) -> dict[str, Any]:
    """Read → score → write as ``scoring.score_period`` composes them, with the engine's share timed apart.

    ``read`` is ``scoring.read_inputs``; ``score`` and ``write`` are one call of
    ``scoring.write_scores``, which writes each slice of lines as the engine yields it: ``score``
    is the time spent producing the slices (the engine and the rule types), ``write`` the rest
    (inserting evaluations and lines, subtotals, ranking, the final update, the commit).
    """
    from bastion.core import periods, scoring, spool
    from bastion.core.db import transaction
    from bastion.core.engine import score_slices
    from bastion.core.models import Cycle, EvaluationLine
    from sqlalchemy import func, select
    from sqlmodel import Session

    _, registry = _registry(cfg["indicators"])
    engine = _engine(cfg["url"])
    with Session(engine, expire_on_commit=False) as session:
        cycle = session.get(Cycle, cfg["cycle_id"])
        session.expunge(cycle)
    period = periods.in_cycle(cycle, str(cfg["year"]))
    _clear_drafts(engine, cycle.id, period.key)
    profile = cfg.get("profile")
    phases = Phases(profile, Path(cfg["profile_dir"]) if profile else None, tag=cfg.get("tag", "pipeline"))
    baseline = maxrss_mib()

    # As score_period composes it: where the code takes a cut before reading (db.cut, issue 18), the read is of
    # the facts recorded up to it, and the cut is timed with the read; older code reads everything.
    def read(**kwargs):
        from bastion.core import db

        if hasattr(db, "cut"):
            kwargs["as_of"] = db.cut(engine)
        return scoring.read_inputs(engine, **kwargs)

    inputs = phases.run("read", read, cycle=cycle, period=period, registry=registry)
    by_rule: dict[str, float] = {}
    inputs = dataclasses.replace(inputs, rule_types={n: _TimedRule(r, by_rule) for n, r in inputs.rule_types.items()})
    scoring_seconds = [0.0]
    counts = {"orgs": len(inputs.orgs), "ledger_rows": len(inputs.facts.ledger),
              "finding_rows": len(inputs.facts.findings), "rating_rows": len(inputs.facts.ratings), "lines": 0}

    def timed_slices(inputs):
        slices = score_slices(inputs)
        while True:
            start = time.perf_counter()
            lines = next(slices, None)
            scoring_seconds[0] += time.perf_counter() - start
            if lines is None:
                return
            counts["lines"] += len(lines)
            yield lines

    # The spool's helper process (core.spool: lines of large SQLite runs) reports its own peak (VmHWM);
    # ru_maxrss of children would not do: a child starts with its parent's high-water mark.
    helper_peaks: list[float] = []
    finish = spool.Spool.finish

    def finish_noting_peak(self):
        finish(self)
        helper_peaks.append(self.helper_peak_mib)

    spool.Spool.finish = finish_noting_peak

    def score_and_write(inputs):
        with transaction(engine) as session:
            return scoring.write_scores(session, cycle=cycle, inputs=inputs, slices=timed_slices(inputs))

    evaluations = phases.run("score_write", score_and_write, inputs)
    both = phases.out.pop("score_write")
    phases.out["score"] = {"seconds": round(scoring_seconds[0], 3), "maxrss_mib": both["maxrss_mib"],
                           "rss_mib": both["rss_mib"], "by_rule": {k: round(v, 3) for k, v in
                                                                   sorted(by_rule.items(), key=lambda kv: -kv[1])},
                           "engine_outside_rules": round(scoring_seconds[0] - sum(by_rule.values()), 3)}
    if "score_write" in phases.profiles:
        phases.profiles["score"] = phases.profiles["write"] = phases.profiles.pop("score_write")
    phases.out["write"] = {"seconds": round(both["seconds"] - scoring_seconds[0], 3),
                           "maxrss_mib": both["maxrss_mib"], "rss_mib": both["rss_mib"]}
    counts["evaluations"] = len(evaluations)
    summary = {"mean_total": round(float(evaluations["total"].mean()), 2),
               "vetoed": int(evaluations["vetoed"].sum()),
               "advanced": int(evaluations["advanced_eligible"].sum()),
               "grades": {str(k): int(v) for k, v in evaluations["grade"].value_counts().items()}}
    del inputs, evaluations
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(EvaluationLine.__table__)).scalar_one()
    extras = Phases()
    if not profile:
        # What a rescore pays first: write_scores' bulk delete of the period's drafts (not in the goal).
        extras.run("delete_drafts", _clear_drafts, engine, cycle.id, period.key)
    engine.dispose()
    helper = max(helper_peaks, default=0.0)
    return {"baseline_maxrss_mib": round(baseline, 1), "counts": counts, "lines_stored": stored, "summary": summary,
            "phases": phases.out, "extras": extras.out, "profiles": phases.profiles,
            "helper_maxrss_mib": round(helper, 1)}


class _TimedRule:
    """A rule type that records how long its ``evaluate`` took (one call per rule type and period)."""

    def __init__(self, rule, seconds: dict[str, float]) -> None:
        self._rule, self._seconds = rule, seconds

    def __getattr__(self, name: str):
        return getattr(self._rule, name)

    def evaluate(self, batch):
        start = time.perf_counter()
        try:
            return self._rule.evaluate(batch)
        finally:
            self._seconds[self._rule.name] = self._seconds.get(self._rule.name, 0.0) + time.perf_counter() - start


def stage_end_to_end(cfg: dict[str, Any]) -> dict[str, Any]:
    """``scoring.score_period`` as composed (read_inputs + write_scores + audit + notify)."""
    from bastion.core import scoring
    from bastion.core.models import Cycle
    from sqlmodel import Session

    _, registry = _registry(cfg["indicators"])
    engine = _engine(cfg["url"])
    with Session(engine, expire_on_commit=False) as session:
        cycle = session.get(Cycle, cfg["cycle_id"])
        session.expunge(cycle)
    _clear_drafts(engine, cycle.id, str(cfg["year"]))
    baseline = maxrss_mib()
    phases = Phases()
    phases.run("score_period", scoring.score_period, engine, cycle=cycle, period_key=str(cfg["year"]),
               registry=registry, actor=ACTOR)
    engine.dispose()
    return {"baseline_maxrss_mib": round(baseline, 1), "phases": phases.out}


def stage_verify(cfg: dict[str, Any]) -> dict[str, Any]:
    """``bastion verify`` of the period beside the scoring it checks: ``scoring.score_period`` as composed, the
    drafts put under review (a closed period is what verify reads from its frozen inputs; the status is set
    directly, as setup, not through the leaders' review), then ``verify.verify_period``; the drafts cleared
    afterwards so that the data can be reused."""
    from bastion.core import scoring, verify
    from bastion.core.models import Cycle, Evaluation, EvaluationStatus
    from sqlalchemy import update
    from sqlmodel import Session

    _, registry = _registry(cfg["indicators"])
    engine = _engine(cfg["url"])
    with Session(engine, expire_on_commit=False) as session:
        cycle = session.get(Cycle, cfg["cycle_id"])
        session.expunge(cycle)
    key = str(cfg["year"])
    _clear_drafts(engine, cycle.id, key)
    phases = Phases()
    try:
        phases.run("score_period", scoring.score_period, engine, cycle=cycle, period_key=key, registry=registry,
                   actor=ACTOR)
        e = Evaluation.__table__.c
        with engine.begin() as conn:
            conn.execute(update(Evaluation.__table__).where(e.cycle_id == cycle.id, e.period == key)
                         .values(status=EvaluationStatus.reviewed.value))
        found = phases.run("verify", verify.verify_period, engine, cycle=cycle, period_key=key, registry=registry)
    finally:
        _clear_drafts(engine, cycle.id, key)
        engine.dispose()
    return {"phases": phases.out, "identical": found.identical, "organizations": found.organizations,
            "lines": found.lines, "differences": len(found.differences)}


STAGES = {"generate": stage_generate, "floor": stage_floor, "pipeline": stage_pipeline,
          "end_to_end": stage_end_to_end, "verify": stage_verify}


def run_stage(name: str, cfg: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run a stage in a fresh interpreter, so that its peak memory is its own."""
    cfg_path = workdir / f"{name}-in.json"
    out_path = workdir / f"{name}-out.json"
    cfg_path.write_text(json.dumps(cfg))
    load = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--stage", name, "--stage-in",
                           str(cfg_path), "--stage-out", str(out_path)], check=False)
    if proc.returncode != 0:
        raise SystemExit(f"stage {name} failed (exit {proc.returncode})")
    out = json.loads(out_path.read_text())
    out["wall_seconds"] = round(time.perf_counter() - started, 3)
    out["loadavg_before"] = load
    return out


# --- the database --------------------------------------------------------------------------------


def fresh_database(url: str | None, workdir: Path) -> tuple[str, str]:
    """A migrated, empty database; returns (url, where it is in words)."""
    from bastion.core import db
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url is None:
        path = workdir / "bench.db"
        url = f"sqlite:///{path}"
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # Create the database if it does not exist (connecting to the maintenance database).
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                  {"d": parsed.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
        engine = db.make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    elif parsed.get_backend_name() == "sqlite" and parsed.database and Path(parsed.database).exists():
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        engine = db.make_engine(url)
    else:
        engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    return url, parsed.render_as_string(hide_password=True)


def code_version() -> dict[str, Any]:
    """Which Bastion was measured: where it was imported from and, in a git work tree, the commit and dirty files."""
    import bastion.core.engine as engine_module

    import bastion

    where = Path(engine_module.__file__).resolve().parent.parent
    out: dict[str, Any] = {"bastion": bastion.__version__, "path": str(where)}
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "core", "plugins", "bastion"],
                               capture_output=True, text=True, check=True).stdout.split("\n")
        out.update(commit=head, dirty=[line[3:] for line in dirty if line.strip()])
    except (OSError, subprocess.CalledProcessError):
        out.update(commit=None, dirty=None)
    return out


def make_url_safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def existing_data(url: str, year: int) -> dict[str, Any]:
    """The ids and counts of the data an earlier run generated in ``url`` (for ``--reuse``)."""
    from bastion.core.models import (
        Cycle,
        Finding,
        Indicator,
        LedgerEntry,
        Organization,
        Rating,
        Tenant,
    )
    from sqlalchemy import func, select

    engine = _engine(url)
    with engine.connect() as conn:
        tenant_id = conn.execute(select(Tenant.id).where(Tenant.code == TENANT)).scalar()
        if tenant_id is None:
            raise SystemExit(f"no tenant {TENANT!r} in {make_url_safe(url)}: run without --reuse first")
        cycle_id = conn.execute(select(Cycle.id).where(Cycle.tenant_id == tenant_id, Cycle.year == year)).scalar_one()

        def count(model, *where):
            return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

        out = {"tenant_id": tenant_id, "cycle_id": cycle_id,
               "branches": count(Organization, Organization.tenant_id == tenant_id, Organization.level == "branch"),
               "indicators": count(Indicator, Indicator.cycle_id == cycle_id),
               "ledger_entries": count(LedgerEntry, LedgerEntry.tenant_id == tenant_id),
               "findings": count(Finding, Finding.tenant_id == tenant_id),
               "ratings": count(Rating, Rating.tenant_id == tenant_id),
               "phases": {}, "reused": True, "wall_seconds": 0.0}
    engine.dispose()
    return out


def database_size_mib(url: str) -> float | None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return round(sum(Path(parsed.database + s).stat().st_size for s in ("", "-wal")
                         if Path(parsed.database + s).exists()) / 2**20, 1)
    engine = _engine(url)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return round(size / 2**20, 1)


# --- the report ----------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> str:
    p = result["pipeline"]["phases"]
    floor = result["floor"]["phases"]["floor"]
    gen = result["generate"]
    lines = []
    add = lines.append
    add(f"Bastion scoring benchmark — {result['branches']:,} branches × {result['indicators']} indicators, "
        f"{result['backend']} ({result['database']}), seed {result['seed']}")
    code = result.get("code", {})
    add(f"code: {code.get('commit') or code.get('path')}{' + uncommitted changes' if code.get('dirty') else ''}"
        f"{' — ' + code['label'] if code.get('label') else ''}")
    add(f"facts: {gen['ledger_entries']:,} ledger entries, {gen['findings']:,} findings, {gen['ratings']:,} ratings; "
        f"{p and result['pipeline']['counts']['lines']:,} result lines; database {result['database_size_mib']} MiB")
    add("")
    add(f"{'stage':<40}{'seconds':>10}{'peak RSS MiB':>14}{'RSS after MiB':>15}")
    add("-" * 79)
    g = gen["phases"]
    if g:
        add(f"{'data generation (not in the goal)':<40}{sum(v['seconds'] for v in g.values()):>10.2f}"
            f"{max(v['maxrss_mib'] for v in g.values()):>14.0f}{'':>15}")
    else:
        add("data generation: reused an earlier run's data")
    base = result["pipeline"]["baseline_maxrss_mib"]
    add(f"{'  (before read: imports, draft clean-up)':<40}{'':>10}{base:>14.0f}")
    for name in ("read", "score", "write"):
        v = p[name]
        add(f"{'scoring: ' + name:<40}{v['seconds']:>10.2f}{v['maxrss_mib']:>14.0f}{v['rss_mib']:>15.0f}")
    by_rule = p["score"].get("by_rule")
    if by_rule:
        add("    score by rule type: " + ", ".join(f"{k} {v:.1f}" for k, v in by_rule.items())
            + f"; engine outside the rules {p['score']['engine_outside_rules']:.1f}")
    total = result["scoring_seconds"]
    helper = result["pipeline"].get("helper_maxrss_mib", 0)
    if helper:
        add(f"{'  (its spool helper process)':<40}{'':>10}{helper:>14.0f}")
    add(f"{'scoring: total (read+score+write)':<40}{total:>10.2f}{result['scoring_peak_mib']:>14.0f}"
        + ("  (both processes)" if helper else ""))
    add(f"{'floor: one INSERT … SELECT … GROUP BY':<40}{floor['seconds']:>10.2f}{floor['maxrss_mib']:>14.0f}")
    for name, v in result["pipeline"].get("extras", {}).items():
        add(f"{'extra: ' + name.replace('_', ' ') + ' (rescore)':<40}{v['seconds']:>10.2f}")
    if "end_to_end" in result:
        v = result["end_to_end"]["phases"]["score_period"]
        add(f"{'check: scoring.score_period':<40}{v['seconds']:>10.2f}{v['maxrss_mib']:>14.0f}")
    if "verify" in result:
        checked = result["verify"]
        for name, label in (("score_period", "verify's run: scoring.score_period"),
                            ("verify", "verify: verify.verify_period")):
            v = checked["phases"][name]
            add(f"{label:<40}{v['seconds']:>10.2f}{v['maxrss_mib']:>14.0f}")
        add(f"    verify: {'identical' if checked['identical'] else str(checked['differences']) + ' differences'}, "
            f"{checked['organizations']:,} organisations, {checked['lines']:,} lines")
    add("-" * 79)
    goal = result["goal"]
    if result["branches"] >= 100_000:
        verdict = (f"goal (100k × 60): ≤ {GOAL_SECONDS:g} s {'✓' if goal['time_ok'] else '✗'}, "
                   f"≤ {GOAL_RATIO:g}× floor {'✓' if goal['ratio_ok'] else '✗'}, "
                   f"< {GOAL_PEAK_MIB / 1024:g} GiB {'✓' if goal['memory_ok'] else '✗'}")
    else:
        verdict = (f"(the goal — ≤ {GOAL_SECONDS:g} s, ≤ {GOAL_RATIO:g}× floor, < {GOAL_PEAK_MIB / 1024:g} GiB — "
                   "is stated for 100k branches × 60 indicators)")
    add(f"ratio to the floor: {result['ratio_to_floor']:.1f}×   {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--indicators", type=int, default=60)
    parser.add_argument("--database-url", default=None,
                        help="default: a temp SQLite file; a PostgreSQL database's schema is dropped and recreated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=10_000,
                        help="generate facts this many branches at a time (bounds the generator's memory); 0: at once")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the floor and the scoring stage this many times each; the fastest run is reported")
    parser.add_argument("--end-to-end", action="store_true", help="also time scoring.score_period as composed")
    parser.add_argument("--verify", action="store_true",
                        help="also time bastion verify of the period (scored, put under review) beside its scoring")
    parser.add_argument("--profile", choices=("pyinstrument", "cprofile"), default=None,
                        help="also run the pipeline once more under a profiler, one report per phase")
    parser.add_argument("--profile-only", action="store_true",
                        help="with --reuse and --profile: only the profiled run (no timed floor and scoring runs)")
    parser.add_argument("--floor-only", action="store_true", help="with --reuse: only time the floor")
    parser.add_argument("--keep", action="store_true", help="keep the temp SQLite database")
    parser.add_argument("--label", default="", help="a note stored with the results (e.g. which code was measured)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --database-url: reuse the data of an earlier run there (no drop, no generation)")
    parser.add_argument("--output", type=Path, default=None, help="the JSON file (default: benchmarks/results/…)")
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--stage-in", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stage-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:
        cfg = json.loads(args.stage_in.read_text())
        out = STAGES[args.stage](cfg)
        out["final_maxrss_mib"] = round(maxrss_mib(), 1)
        args.stage_out.write_text(json.dumps(out, ensure_ascii=False, default=str))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        started = time.perf_counter()
        if args.reuse:
            if not args.database_url:
                parser.error("--reuse needs --database-url")
            url, where = args.database_url, make_url_safe(args.database_url)
        else:
            url, where = fresh_database(args.database_url, workdir)
        backend = "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0].split("+")[0]
        cfg: dict[str, Any] = {"url": url, "branches": args.branches, "indicators": args.indicators,
                               "seed": args.seed, "year": args.year, "chunk": args.chunk}
        if args.reuse:
            gen = existing_data(url, args.year)
            cfg.update(branches=gen["branches"], indicators=gen["indicators"])
            args.branches, args.indicators = gen["branches"], gen["indicators"]
            print(f"[bench] reusing the data in {where}", flush=True)
        else:
            print(f"[bench] {backend}-{args.branches}x{args.indicators}: generating data in {where} …", flush=True)
            gen = run_stage("generate", cfg, workdir)
        tag = f"{backend}-{args.branches}x{args.indicators}"
        cfg.update(tenant_id=gen["tenant_id"], cycle_id=gen["cycle_id"])
        made = "found" if args.reuse else "generated"
        print(f"[bench] {made} {gen['ledger_entries']:,} ledger entries, {gen['findings']:,} findings, "
              f"{gen['ratings']:,} ratings" + ("" if args.reuse else f" in {gen['wall_seconds']:.1f} s"), flush=True)
        if args.profile_only:
            if not (args.reuse and args.profile):
                parser.error("--profile-only needs --reuse and --profile")
            prof_cfg = dict(cfg, profile=args.profile, profile_dir=str(RESULTS / "profiles"), tag=f"{tag}-{stamp}")
            print(f"[bench] profiling the pipeline with {args.profile} …", flush=True)
            prof = run_stage("pipeline", prof_cfg, workdir)
            for name, v in prof["phases"].items():
                print(f"{name:<8}{v['seconds']:>10.2f} s  peak {v['maxrss_mib']:.0f} MiB  {prof['profiles'][name]}")
            return 0
        if args.floor_only:
            if not args.reuse:
                parser.error("--floor-only needs --reuse")
            for _ in range(max(1, args.repeat)):
                f = run_stage("floor", cfg, workdir)
                print(f"floor {f['phases']['floor']['seconds']:.2f} s, {f['rows_written']:,} rows written")
            return 0
        floors, pipelines = [], []
        for _ in range(max(1, args.repeat)):
            floors.append(run_stage("floor", cfg, workdir))
            print(f"[bench] floor {floors[-1]['phases']['floor']['seconds']:.2f} s; scoring …", flush=True)
            pipelines.append(run_stage("pipeline", cfg, workdir))
            ph = pipelines[-1]["phases"]
            print(f"[bench] read {ph['read']['seconds']:.2f} s, score {ph['score']['seconds']:.2f} s, "
                  f"write {ph['write']['seconds']:.2f} s", flush=True)
        floor = min(floors, key=lambda f: f["phases"]["floor"]["seconds"])
        pipeline = min(pipelines, key=lambda p: sum(p["phases"][k]["seconds"] for k in ("read", "score", "write")))
        ph = pipeline["phases"]
        from synthetic_scheme import build_scheme, describe

        result: dict[str, Any] = {
            "benchmark": "scoring", "when": stamp, "branches": args.branches, "indicators": args.indicators,
            "seed": args.seed, "year": args.year, "backend": backend, "database": where,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "code": dict(code_version(), label=args.label),
            "scheme": describe(build_scheme(args.indicators)),
            "generate": gen, "floor": floor, "pipeline": pipeline,
        }
        if len(pipelines) > 1:
            result["runs"] = {"floor_seconds": [f["phases"]["floor"]["seconds"] for f in floors],
                              "scoring_seconds": [{k: p["phases"][k]["seconds"] for k in ("read", "score", "write")}
                                                  for p in pipelines]}
        if args.end_to_end:
            result["end_to_end"] = run_stage("end_to_end", cfg, workdir)
        if args.verify:
            print("[bench] scoring and verifying the period …", flush=True)
            result["verify"] = run_stage("verify", cfg, workdir)
        if args.profile:
            print(f"[bench] profiling the pipeline with {args.profile} …", flush=True)
            prof_cfg = dict(cfg, profile=args.profile, profile_dir=str(RESULTS / "profiles"), tag=f"{tag}-{stamp}")
            result["profile"] = run_stage("pipeline", prof_cfg, workdir)
        result["database_size_mib"] = database_size_mib(url)
        total = sum(ph[n]["seconds"] for n in ("read", "score", "write"))
        # With the spool's helper, both processes' peaks together: an upper bound of what they held at once.
        peak = max(ph[n]["maxrss_mib"] for n in ("read", "score", "write")) + pipeline.get("helper_maxrss_mib", 0)
        ratio = total / max(floor["phases"]["floor"]["seconds"], 1e-9)
        result.update(scoring_seconds=round(total, 3), scoring_peak_mib=peak, ratio_to_floor=round(ratio, 2),
                      goal={"seconds": GOAL_SECONDS, "ratio": GOAL_RATIO, "peak_mib": GOAL_PEAK_MIB,
                            "time_ok": total <= GOAL_SECONDS, "ratio_ok": ratio <= GOAL_RATIO,
                            "memory_ok": peak < GOAL_PEAK_MIB},
                      total_wall_seconds=round(time.perf_counter() - started, 1))
        text_report = report(result)
        print()
        print(text_report)
        output = args.output or RESULTS / f"scoring-{tag}-{stamp}.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        print(f"\n[bench] wrote {output}")
    finally:
        if args.keep:
            print(f"[bench] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
