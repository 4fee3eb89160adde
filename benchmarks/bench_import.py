"""How long the importer takes to read and check the cells of a large ledger file (no database).

    python benchmarks/bench_import.py --rows 100000 --repeat 3

Writes a UTF-8 ledger CSV (and, with ``--xlsx``, the same rows as a workbook) of ``--rows`` rows into a
temporary folder, then times, best of ``--repeat``: reading the file (``read_sheet``: decoding, the CSV
or workbook reader, the formula scan) and parsing every row (``read_layout`` + ``read_records``: each
cell's parser and the text and number rules). Run it from outside the work tree against a snapshot to
compare commits (see README.md, bench_scoring.py).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from bastion.core.importing.files import read_sheet
from bastion.core.importing.kinds import kind_spec
from bastion.core.importing.report import RowErrors
from bastion.core.importing.rows import read_layout, read_records

HEADER = ["组织编码 org_code", "台账类型 type", "日期 date", "数量 quantity", "标题 title", "备注 note"]


def rows(n: int) -> list[list]:
    return [[f"ZB{i % 5000:05d}", "志愿服务" if i % 3 == 0 else "支委会", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
             (i % 7) + 1 if i % 3 == 0 else "", f"第{i}次 支委会：学习贯彻党的二十大精神", "全体党员参加"]
            for i in range(n)]


def write_csv(path: Path, data: list[list]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(data)
    return path


def write_xlsx(path: Path, data: list[list]) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    book.save(path)
    return path


def measure(path: Path, repeat: int) -> tuple[float, float, int]:
    spec = kind_spec("ledger")
    best_read = best_parse = float("inf")
    count = 0
    for _ in range(repeat):
        errors = RowErrors(path.name, spec)
        start = time.perf_counter()
        sheet = read_sheet(path, errors)
        read = time.perf_counter() - start
        start = time.perf_counter()
        layout = read_layout(spec, sheet.header, errors)
        records = read_records(sheet, layout, errors)
        parse = time.perf_counter() - start
        assert not errors.items, errors.items[:3]
        best_read, best_parse, count = min(best_read, read), min(best_parse, parse), len(records)
    return best_read, best_parse, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xlsx", action="store_true", help="also time the same rows as an .xlsx workbook")
    args = parser.parse_args()
    data = rows(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        files = [write_csv(Path(folder) / "台账.csv", data)]
        if args.xlsx:
            files.append(write_xlsx(Path(folder) / "台账.xlsx", data))
        for path in files:
            read, parse, count = measure(path, args.repeat)
            print(f"{path.suffix:6} {count:>8} rows  {path.stat().st_size / 1e6:6.1f} MB  read {read:6.2f} s  "
                  f"parse {parse:6.2f} s  total {read + parse:6.2f} s")


if __name__ == "__main__":
    main()
