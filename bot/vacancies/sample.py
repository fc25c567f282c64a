"""The sample catalogue that ships (bot/data/sample_vacancies.jsonl), so a fresh install has
a few hundred vacancies in all 38 provinces. Its companies and vacancies are fictional
(source ``contoh``; dialogs must say so); regenerate it with
``python bot/data/tools/build_sample_vacancies.py``.

:func:`ensure_sample_catalogue` loads it when the catalogue holds no vacancy from another
source and no open sample vacancy: on first start, and again (dates moved to today) once
every sample vacancy has closed. Otherwise it costs two small reads. An import of real
vacancies closes the sample (importer.py), so the two never mix.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import read_only
from bot.vacancies import store
from bot.vacancies.importer import parse_record
from bot.vacancies.model import SAMPLE_SOURCE, VacancyRecord

SAMPLE_FILE = Path(__file__).resolve().parents[1] / "data" / "sample_vacancies.jsonl"
V = store.V


def load_sample(today: date, path: Path = SAMPLE_FILE) -> list[VacancyRecord]:
    """The sample's records, dates moved so the newest was posted ``today``."""
    records = [
        parse_record(json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    shift = today - max(r.posted_at for r in records)
    return [_moved(r, shift) for r in records]


def _moved(record: VacancyRecord, shift: timedelta) -> VacancyRecord:
    closes = record.closes_at + shift if record.closes_at else None
    return replace(record, posted_at=record.posted_at + shift, closes_at=closes)


async def needs_sample(engine: AsyncEngine) -> bool:
    async with read_only(engine) as conn:
        other = await conn.execute(sa.select(V.c.id).where(V.c.source != SAMPLE_SOURCE).limit(1))
        if other.first() is not None:
            return False
        sample = await conn.execute(
            sa.select(V.c.id).where(V.c.source == SAMPLE_SOURCE, V.c.status == "open").limit(1)
        )
        return sample.first() is None


async def ensure_sample_catalogue(engine: AsyncEngine, *, now: datetime, today: date) -> int:
    """Load the sample when the catalogue needs it; how many vacancies were written."""
    if not await needs_sample(engine):
        return 0
    records = await asyncio.to_thread(load_sample, today)
    async with engine.begin() as conn:
        counts = await store.upsert(conn, records, now=now, today=today)
    return counts.inserted + counts.updated
