"""The shipped sample catalogue: reproducible, all 38 provinces, loaded once."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.knowledge.catalog import catalog
from bot.storage.db import read_only
from bot.vacancies import store
from bot.vacancies.model import VacancyQuery
from bot.vacancies.sample import SAMPLE_FILE, ensure_sample_catalogue, load_sample

ROOT = Path(__file__).resolve().parents[2]


def test_the_file_is_what_the_tool_makes() -> None:
    tool = ROOT / "bot" / "data" / "tools" / "build_sample_vacancies.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_realistic_and_everywhere() -> None:
    records = load_sample(date(2025, 6, 2))
    assert len(records) == 600
    assert {r.province_code for r in records if r.country == "ID"} == {
        p.code for p in catalog().provinces
    }
    assert max(r.posted_at for r in records) == date(2025, 6, 2)
    assert all(r.closes_at and r.closes_at >= date(2025, 6, 2) for r in records)
    assert any(r.country != "ID" for r in records) and any(r.disability_friendly for r in records)
    assert all("fiktif" in r.description for r in records)
    wages = [r for r in records if r.wage_min and r.country == "ID"]
    assert all(1_000_000 <= r.wage_min <= (r.wage_max or 0) <= 60_000_000 for r in wages)  # type: ignore[operator]
    assert len({r.company for r in records}) < len(records)  # companies have several
    assert SAMPLE_FILE.name in str(SAMPLE_FILE.relative_to(ROOT / "bot" / "data"))


async def test_loaded_once_and_again_when_all_have_closed(
    db: AsyncEngine, now: datetime, today: date
) -> None:
    assert await ensure_sample_catalogue(db, now=now, today=today) == 600
    assert await ensure_sample_catalogue(db, now=now, today=today) == 0
    async with read_only(db) as conn:
        page = await store.search(conn, VacancyQuery(), today=today)
    assert page.more and all(h.sample for h in page.hits)
    later = today + timedelta(days=120)
    async with db.begin() as conn:
        assert await store.close_expired(conn, today=later, now=now) == 600
    assert await ensure_sample_catalogue(db, now=now, today=later) == 600  # moved to later
    async with read_only(db) as conn:
        assert (await store.search(conn, VacancyQuery(), today=later)).hits[0].posted_at == later
