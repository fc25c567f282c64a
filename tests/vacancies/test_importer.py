"""Import: row checks, bad rows with their line numbers, upserts, closing, the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.storage.db import read_only
from bot.vacancies import store
from bot.vacancies.importer import (
    ImportFailed,
    RowProblem,
    detect_format,
    import_source,
    import_text,
    parse_record,
    read_rows,
)
from bot.vacancies.model import RowError, VacancyQuery
from bot.vacancies.sample import ensure_sample_catalogue

GOOD = {
    "source": "disnaker", "source_id": "A-1", "title": "Operator Produksi",
    "company": "PT Maju Jaya", "regency_code": "3216", "posted_at": "2025-05-30",
}  # fmt: skip
HEADER = "source,source_id,title,company,regency_code,posted_at,closes_at,wage_min,wage_max"


def test_a_good_row_with_defaults_and_inferences() -> None:
    record = parse_record(GOOD | {"hobby": "ignored", "wage_min": "Rp 5.000.000"})
    assert record.occupation_code == "8189"  # from the title
    assert (record.province_code, record.country, record.employment_type) == ("32", "ID", "lainnya")
    assert (record.sex, record.openings, record.featured, record.wage_min) == (
        "semua", 1, False, 5_000_000
    )  # fmt: skip
    by_city = parse_record(GOOD | {"regency_code": "", "city": "Surabaya"})
    assert (by_city.regency_code, by_city.province_code, by_city.city) == (
        "3578", "35", "Surabaya"
    )  # fmt: skip
    both = parse_record(GOOD | {"regency_code": "", "city": "Bekasi"})
    assert (both.regency_code, both.city) == (None, "Bekasi")  # Kota or Kabupaten: not guessed
    typed = parse_record(
        GOOD
        | {
            "employment_type": "PKWT",
            "education_min": "smk",
            "sex": "l",
            "disability_friendly": "ya",
            "featured": True,
            "openings": 3.0,
            "posted_at": "2025-05-30T08:00:00+07:00",
            "wage_max": 6000000,
        }
    )
    assert (typed.employment_type, typed.education_min, typed.sex) == ("pkwt", "SMK", "L")
    assert (typed.disability_friendly, typed.featured, typed.openings) == (True, True, 3)
    assert (typed.posted_at, typed.wage_max) == (date(2025, 5, 30), 6_000_000)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": " "}, "title is empty"),
        ({"source": "di snaker"}, "source may only contain"),
        ({"posted_at": "30/05/2025"}, "posted_at is not an ISO date"),
        ({"closes_at": "2025-05-01"}, "closes_at 2025-05-01 is before posted_at"),
        ({"regency_code": "9999"}, "regency_code is not a Kemendagri"),
        ({"province_code": "31"}, "regency_code 3216 is not in province_code 31"),
        ({"occupation_code": "99"}, "occupation_code is not an ISCO-08 unit group"),
        ({"wage_min": "lima juta"}, "wage_min is not an amount"),
        ({"wage_min": "6000000", "wage_max": "5000000"}, "wage_min 6000000 is more than"),
        ({"employment_type": "tetap"}, "employment_type must be one of"),
        ({"sex": "X"}, "sex must be one of"),
        ({"disability_friendly": "mungkin"}, "disability_friendly must be true or false"),
        ({"age_max": "7"}, "age_max must be between 15 and 100"),
        ({"url": "javascript:alert(1)"}, r"url must be an http\(s\) address"),
        ({"country": "Jepang"}, "country must be an ISO 3166"),
        ({"country": "JP"}, "a vacancy abroad"),
    ],
)
def test_a_bad_row_says_what_is_wrong(change: dict[str, str], message: str) -> None:
    with pytest.raises(RowProblem, match=message):
        parse_record(GOOD | change)


def test_line_numbers_of_csv_and_json_lines() -> None:
    csv_text = (
        f"{HEADER}\n"
        "s,1,Kasir,PT A,3216,2025-05-30,,,\n"
        's,2,"Admin\nGudang",PT B,3216,2025-05-30,,,\n'  # a quoted field over two lines
        "s,3,Satpam,PT C,3216,bad-date,,,\n"
        "s,4,Sopir,PT D,3216,2025-05-30,,,,extra\n"
    )
    rows = list(read_rows(csv_text, "csv"))
    assert [n for n, _ in rows] == [2, 3, 5, 6]
    assert rows[3][1] == RowError(6, "more fields than the header has")
    jsonl = '{"a": 1}\n\n[1, 2]\n{broken\n'
    assert [(n, type(r).__name__) for n, r in read_rows(jsonl, "jsonl")] == [
        (1, "dict"), (3, "RowError"), (4, "RowError")
    ]  # fmt: skip


def test_unusable_inputs() -> None:
    with pytest.raises(ImportFailed, match="lacks source_id, posted_at"):
        list(read_rows("source,title,company\nx,y,z\n", "csv"))
    with pytest.raises(ImportFailed, match="empty"):
        list(read_rows("", "csv"))
    assert detect_format("feed.csv", "{") == "csv"
    assert detect_format("https://x/feed", '{"source": 1}') == "jsonl"
    assert detect_format("https://x/feed", "source,title", "application/x-ndjson") == "jsonl"


async def test_bad_rows_are_reported_and_the_good_ones_load(
    db: AsyncEngine, now: datetime, today: date
) -> None:
    text = (
        f"{HEADER}\n"
        "s,1,Kasir,PT A,3216,2025-05-30,2025-07-01,,\n"
        "s,2,Satpam,PT B,3216,2025-05-30,2025-07-01,9,1\n"
        "s,3,Sopir,PT C,3216,2025-05-30,2025-07-01,,\n"
        "s,4,Barista,PT D,3216,2025-04-01,2025-05-01,,\n"
    )
    report = await import_text(db, text, "csv", now=now, today=today)
    assert report.errors == (RowError(3, "wage_min 9 is more than wage_max 1"),)
    assert (report.read, report.inserted, report.updated, report.unchanged) == (4, 3, 0, 0)
    async with read_only(db) as conn:
        page = await store.search(conn, VacancyQuery(), today=today)
    assert sorted(h.title for h in page.hits) == ["Kasir", "Sopir"]  # the barista has closed

    again = text.replace("Kasir,PT A", "Kasir Toko,PT A").replace("2025-05-01", "2025-06-30")
    report = await import_text(db, again, "csv", now=now, today=today)
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 1)  # reopened
    async with read_only(db) as conn:
        page = await store.search(conn, VacancyQuery(), today=today)
    assert sorted(h.title for h in page.hits) == ["Barista", "Kasir Toko", "Sopir"]

    report = await import_text(db, "", "jsonl", now=now, today=today + timedelta(days=40))
    assert report.closed == 3


async def test_real_vacancies_retire_the_sample(
    db: AsyncEngine, now: datetime, today: date
) -> None:
    assert await ensure_sample_catalogue(db, now=now, today=today) == 600
    assert await ensure_sample_catalogue(db, now=now, today=today) == 0
    line = json.dumps(GOOD | {"closes_at": "2025-07-30"})
    report = await import_text(db, line, "jsonl", now=now, today=today)
    assert (report.inserted, report.closed) == (1, 600)
    assert await ensure_sample_catalogue(db, now=now, today=today) == 0
    async with read_only(db) as conn:
        page = await store.search(conn, VacancyQuery(), today=today)
    assert [h.source for h in page.hits] == ["disnaker"]


async def test_import_a_missing_file(db: AsyncEngine, now: datetime, today: date) -> None:
    with pytest.raises(ImportFailed, match="cannot read"):
        await import_source(db, "/nonexistent/file.csv", now=now, today=today)


def test_cli_import_search_and_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    today = date.today()
    rows: list[dict[str, Any]] = [
        GOOD | {"posted_at": today.isoformat()},
        GOOD | {"source_id": "A-2", "title": "Admin Gudang", "posted_at": today.isoformat()},
        GOOD | {"source_id": "A-3", "posted_at": "kemarin"},
    ]
    feed = tmp_path / "lowongan.jsonl"
    feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["vacancies", "import", str(feed)]) == 1  # one row rejected
    out, err = capsys.readouterr()
    assert "line 3: posted_at is not an ISO date" in err
    assert "read 3 row(s): 2 new, 0 changed, 0 unchanged, 1 rejected" in out

    assert main(["vacancies", "search", "operator produksi bekasi", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(r["source"], r["source_id"], r["title"]) for r in found] == [
        ("disnaker", "A-1", "Operator Produksi")
    ]
    assert {"company", "score", "place"} <= set(found[0])

    assert main(["vacancies", "search", "admn"]) == 0
    assert "1. Admin Gudang - PT Maju Jaya (Kabupaten Bekasi;" in capsys.readouterr().out
    assert main(["vacancies", "stats"]) == 0
    out = capsys.readouterr().out
    assert "open 2, closed 0" in out and "32 Jawa Barat" in out and "disnaker" in out
    assert main(["vacancies", "import", str(tmp_path / "none.csv")]) == 1
    assert main(["vacancies", "feed"]) == 2  # VACANCY_FEED_URL is not set
