"""Search relevance as a measured quantity: the labelled searches of data/relevance.yml over
the test catalogue; recall@5 and MRR must stay above a floor on both databases (the README
gives the measured values)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import read_only
from bot.vacancies import store
from bot.vacancies.model import VacancyQuery

LABELS = Path(__file__).with_name("data") / "relevance.yml"
RECALL_FLOOR = 0.97
MRR_FLOOR = 0.95


async def test_recall_and_mrr(catalogue: AsyncEngine, today: date) -> None:
    queries = yaml.safe_load(LABELS.read_text(encoding="utf-8"))["queries"]
    assert len(queries) >= 50
    recalls, reciprocal = [], []
    misses = []
    for item in queries:
        async with read_only(catalogue) as conn:
            first = await store.search(conn, VacancyQuery(text=item["q"]), today=today)
            second = await store.search(conn, VacancyQuery(text=item["q"], page=1), today=today)
        ranked = [h.source_id for h in first.hits + second.hits]
        expected = set(item["expect"])
        recalls.append(len(expected & set(ranked[:5])) / len(expected))
        rank = next((i for i, s in enumerate(ranked, start=1) if s in expected), None)
        reciprocal.append(1 / rank if rank else 0.0)
        if recalls[-1] < 1:
            misses.append((item["q"], ranked[:5]))
    recall, mrr = sum(recalls) / len(recalls), sum(reciprocal) / len(reciprocal)
    print(
        f"\n{catalogue.dialect.name}: recall@5 {recall:.3f}, MRR {mrr:.3f}, {len(queries)} queries"
    )
    assert recall >= RECALL_FLOOR, misses
    assert mrr >= MRR_FLOOR
