"""Build bot/data/sample_vacancies.jsonl: the fictional sample catalogue (see SOURCES.md).

    python bot/data/tools/build_sample_vacancies.py [--check]

Deterministic: the same seed, size and date give the same file (``--check`` fails when the
file differs). The loader moves the dates to the day it loads them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bot.vacancies.synthetic import Generator  # noqa: E402

OUT = ROOT / "bot" / "data" / "sample_vacancies.jsonl"
SEED = 2026
SIZE = 600
PER_PROVINCE = 4  # every province has at least this many
GENERATED_ON = date(2026, 12, 1)


def build() -> str:
    lines = []
    for record in Generator(SEED, GENERATED_ON).records(SIZE, every_province=PER_PROVINCE):
        row = {k: v for k, v in asdict(record).items() if v is not None}
        row["posted_at"] = record.posted_at.isoformat()
        if record.closes_at:
            row["closes_at"] = record.closes_at.isoformat()
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=False))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args()
    text = build()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {SIZE} vacancies to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
