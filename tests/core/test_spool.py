"""The SQLite spool: rows bound by a helper process, copied in the caller's transaction."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pyarrow as pa
import pytest
from bastion.core import bulk_write, periods, scoring, spool
from bastion.core.db import transaction
from bastion.core.engine import score_slices
from bastion.core.errors import BastionError
from bastion.core.models import Evaluation, EvaluationLine
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, func, select, text

from tests import factories
from tests.core.test_scoring import scored  # noqa: F401  (fixture)


@pytest.fixture
def sqlite_engine(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the spool writes SQLite files")
    return engine


def scratch_table(engine) -> Table:
    table = Table("spooled", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer),
                  Column("x", Float), Column("label", String))
    table.create(engine)
    return table


def batch(start: int, stop: int) -> pa.RecordBatch:
    n = range(start, stop)
    return pa.record_batch({"n": pa.array(list(n)), "x": pa.array([i / 3 if i % 5 else None for i in n]),
                            "label": pa.array([f"第{i}行 'x'" for i in n])})


def spool_files(engine) -> list[str]:
    return [p for p in os.listdir(os.path.dirname(engine.url.database)) if p.startswith(".bastion-spool-")]


def test_rows_arrive_in_order_in_the_callers_transaction(sqlite_engine):
    engine = sqlite_engine
    table = scratch_table(engine)
    with engine.begin() as conn:
        # Ten times the rows expected: parts of 70 rows, but no more than SQLite can attach (the last takes the rest).
        with spool.Spool(conn, table, expected_rows=100, batch_rows=70) as s:
            for start in range(0, 1_000, 150):
                s.put(batch(start, min(start + 150, 1_000)))
        assert s.copied_rows == 1_000 and len(conn.connection.info[spool.ATTACHED]) == s.max_parts == 9
        assert s.helper_peak_mib > 0 or not os.path.exists("/proc/self/status")  # reported by the helper
        with engine.connect() as other:  # not committed yet: another connection sees nothing
            assert other.execute(select(func.count()).select_from(table)).scalar() == 0
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.n, table.c.x, table.c.label,
                                   func.typeof(table.c.x)).order_by(table.c.id)).all()
        attached = [r[1] for r in conn.exec_driver_sql("PRAGMA database_list")]
    assert [r.n for r in rows] == list(range(1_000)) and [r.id for r in rows] == list(range(1, 1_001))
    assert rows[5].x is None and rows[3].x == 1.0 and rows[3][4] == "real" and rows[7].label == "第7行 'x'"
    assert attached == ["main"]  # detached when the connection came back to the pool …
    assert spool_files(engine) == []  # … and the scratch files deleted


def test_a_helper_that_dies_fails_the_write_and_nothing_is_kept(sqlite_engine):
    engine = sqlite_engine
    table = scratch_table(engine)
    with pytest.raises(BastionError, match="spooled 的批量写入（spool）失败"), engine.begin() as conn:
        with spool.Spool(conn, table, expected_rows=100_000, batch_rows=1_000) as s:
            s.put(batch(0, 1_000))
            os.kill(s.process.pid, signal.SIGKILL)
            s.process.wait()
            s.put(batch(1_000, 2_000))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 0
    assert spool_files(engine) == []


def test_an_error_of_the_caller_stops_the_helper(sqlite_engine):
    engine = sqlite_engine
    table = scratch_table(engine)
    with pytest.raises(RuntimeError, match="scoring failed"), engine.begin() as conn:
        with spool.Spool(conn, table, expected_rows=10_000) as s:
            s.put(batch(0, 500))
            raise RuntimeError("scoring failed")
    assert s.process.poll() is not None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 0
    assert spool_files(engine) == []


def stored_lines(engine) -> pd.DataFrame:
    line, ev = EvaluationLine.__table__.c, Evaluation.__table__.c
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(
            select(ev.org_id, line.indicator_code, line.points, line.value, line.target, line.veto, line.reason,
                   line.evidence, *(func.typeof(c) for c in (line.points, line.value, line.target, line.veto)))
            .join_from(EvaluationLine.__table__, Evaluation.__table__, line.evaluation_id == ev.id)
            .order_by(line.id)).all())


def test_a_spooled_scoring_stores_exactly_the_lines_of_a_direct_one(sqlite_engine, registry, cycle, scored,  # noqa: F811
                                                                   monkeypatch):
    engine = sqlite_engine
    direct = stored_lines(engine)
    monkeypatch.setattr(bulk_write, "SPOOL_MIN_ROWS", 0)
    period = periods.in_cycle(cycle, "2026")
    inputs = scoring.read_inputs(engine, cycle=cycle, period=period, registry=registry)
    started = []
    monkeypatch.setattr(spool.Spool, "__enter__", lambda self: started.append(self) or self)
    with transaction(engine) as session:
        scoring.write_scores(session, cycle=cycle, inputs=inputs, slices=score_slices(inputs, slice_size=1))
    assert len(started) == 1 and started[0].copied_rows == len(direct)
    pd.testing.assert_frame_equal(stored_lines(engine), direct)
    with engine.connect() as conn:
        stored, summed = factories.block_subtotals(conn)
        evaluations = set(conn.execute(select(Evaluation.id)).scalars())
    assert stored == summed and {i for i, _ in stored} == evaluations  # the subtotals, written beside the spool
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
