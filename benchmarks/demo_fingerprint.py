"""Fingerprint what ``bastion demo`` publishes, to prove a refactoring changed no number.

Runs the demo in a fresh ``BASTION_HOME`` and hashes, for the demo tenant, what an office would
publish or defend: the results (排名), every explanation line, the block subtotals, the incentives,
the rectification notices, the stage runs' outcomes and the bulletins' contents (cell values of the
.xlsx, paragraphs and tables of the .docx — not the files, whose zip timestamps differ run to run).
Rows are keyed by codes, never by database ids, so a change of insertion order is not a change.

    python benchmarks/demo_fingerprint.py                       # the installed code
    python benchmarks/demo_fingerprint.py --source /tmp/s       # code laid out as in benchmarks/README.md
    python benchmarks/demo_fingerprint.py --dump /tmp/before    # also write each part as text, to diff

Two runs of the same code print the same hashes; compare before and after a change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

TENANT = "demo"

QUERIES = {
    "results": """
        SELECT o.code, e.period, e.scheme_id, e.scheme_version, e.base_points, e.bonus_points, e.total, e.vetoed,
               e.veto_reasons, e.grade, e.advanced_eligible, e.rank, e.tier, e.status
        FROM evaluation e JOIN organization o ON o.id = e.org_id JOIN tenant t ON t.id = e.tenant_id
        WHERE t.code = :tenant""",
    "explanations": """
        SELECT o.code, e.period, l.indicator_code, l.points, l.value, l.target, l.veto, l.reason, l.evidence
        FROM evaluationline l JOIN evaluation e ON e.id = l.evaluation_id JOIN organization o ON o.id = e.org_id
        JOIN tenant t ON t.id = e.tenant_id WHERE t.code = :tenant""",
    "block_subtotals": """
        SELECT o.code, e.period, b.block_code, b.points
        FROM blocksubtotal b JOIN evaluation e ON e.id = b.evaluation_id JOIN organization o ON o.id = e.org_id
        JOIN tenant t ON t.id = e.tenant_id WHERE t.code = :tenant""",
    "incentives": """
        SELECT o.code, i.period, i.policy, i.kind, i.code, i.title, i.effect, i.effective_until
        FROM incentive i JOIN organization o ON o.id = i.org_id JOIN tenant t ON t.id = i.tenant_id
        WHERE t.code = :tenant""",
    "rectifications": """
        SELECT o.code, r.notice_no, r.problem, r.requirement, r.issued_at, r.deadline, r.status,
               r.finding_id IS NOT NULL, r.incentive_id IS NOT NULL
        FROM rectification r JOIN organization o ON o.id = r.org_id JOIN tenant t ON t.id = r.tenant_id
        WHERE t.code = :tenant""",
    "stage_runs": """
        SELECT s.key, s.stage, s.period, s.status
        FROM stagerun s JOIN tenant t ON t.id = s.tenant_id WHERE t.code = :tenant""",
}


def run_demo(home: Path, source: Path | None) -> None:
    env = {**os.environ, "BASTION_HOME": str(home)}
    env.pop("BASTION_DATABASE_URL", None)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    subprocess.run([sys.executable, "-m", "bastion", "demo", "--no-ui"], env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir())


def table_lines(conn: sqlite3.Connection, sql: str) -> list[str]:
    rows = conn.execute(sql, {"tenant": TENANT}).fetchall()
    return sorted(json.dumps(list(row), ensure_ascii=False, default=str) for row in rows)


def bulletin_lines(conn: sqlite3.Connection) -> list[str]:
    lines: list[str] = []
    rows = conn.execute("""SELECT b.period, b.title, b.xlsx_path, b.docx_path FROM bulletin b
                           JOIN tenant t ON t.id = b.tenant_id WHERE t.code = :tenant ORDER BY b.period""",
                        {"tenant": TENANT}).fetchall()
    for period, title, xlsx, docx in rows:
        lines.append(f"# {period} {title}")
        book = load_workbook(xlsx, read_only=True)
        for sheet in book.worksheets:
            lines.append(f"## sheet {sheet.title}")
            lines.extend(json.dumps(list(row), ensure_ascii=False, default=str)
                         for row in sheet.iter_rows(values_only=True))
        document = Document(docx)
        lines.extend(paragraph.text for paragraph in document.paragraphs)
        for table in document.tables:
            lines.extend("\t".join(cell.text for cell in row.cells) for row in table.rows)
    return lines


def fingerprint(home: Path) -> dict[str, tuple[str, list[str]]]:
    conn = sqlite3.connect(home / "bastion.db")
    try:
        parts = {name: table_lines(conn, sql) for name, sql in QUERIES.items()}
        parts["bulletins"] = bulletin_lines(conn)
    finally:
        conn.close()
    return {name: (hashlib.sha256("\n".join(lines).encode()).hexdigest(), lines) for name, lines in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, help="a directory holding the bastion package to run instead")
    parser.add_argument("--dump", type=Path, help="write each part's lines to DIR/<part>.txt")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bastion-fingerprint-") as tmp:
        home = Path(tmp)
        run_demo(home, args.source)
        parts = fingerprint(home)
    for name, (digest, lines) in parts.items():
        print(f"{name:<16} {len(lines):>7} lines  {digest}")
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = hashlib.sha256("".join(digest for digest, _ in parts.values()).encode()).hexdigest()
    print(f"{'all':<16} {'':>13}  {whole}")


if __name__ == "__main__":
    main()
