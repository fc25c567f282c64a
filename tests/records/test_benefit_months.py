"""Benefit months as rows: set with the benefit start, selected by sweeps with SQL alone."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from bot.app import App
from bot.records.benefit import due, month_rows, set_benefit_start
from bot.rules.ledger import benefit_month
from bot.storage import crypto
from bot.storage.models import BenefitMonthRow, Person, table

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", None)


class NoDecryption(crypto.Cipher):
    """A cipher that fails any read of an encrypted value: the sweep must not need one."""

    def open(self, stored: Any) -> Any:
        raise AssertionError("a sweep decrypted a value")

    def open_text(self, stored: str) -> str:
        raise AssertionError("a sweep decrypted a value")


def test_month_rows_follow_the_ledgers_windows() -> None:
    rows = month_rows(1, date(2026, 1, 31), NOW)
    assert [r["number"] for r in rows] == [1, 2, 3, 4, 5, 6]
    for row in rows:
        month = benefit_month(date(2026, 1, 31), row["number"])
        assert (row["starts_on"], row["ends_on"]) == (month.start, month.end)
        assert row["starts_on"] < row["nudge_on"] < row["warn_on"] < row["ends_on"]
        assert row["ends_on"] - row["warn_on"] == timedelta(days=3)
    assert rows[0]["ends_on"] == rows[1]["starts_on"] == date(2026, 2, 28)


async def seed(app: App, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """``n`` persons with random zones, consent, opt-out, benefit start and progress."""
    people = []
    for i in range(1, n + 1):
        start = TODAY - timedelta(days=rng.randrange(0, 200))
        people.append({
            "id": i, "tz": rng.choice(ZONES),
            "consent": "granted" if rng.random() < 0.9 else rng.choice(["none", "declined"]),
            "opted_out": rng.random() < 0.1, "start": start,
            "met": {m: rng.random() < 0.5 for m in range(1, 7)},
        })  # fmt: skip
    P, BM = table(Person), table(BenefitMonthRow)
    async with app.db.write() as conn:
        await conn.execute(insert(P), [
            {"id": p["id"], "created_at": NOW, "last_seen_at": NOW, "consent": p["consent"],
             "opted_out": p["opted_out"], "version": 0, "tz": p["tz"],
             "benefit_start": p["start"]}
            for p in people
        ])  # fmt: skip
        rows = [row for p in people for row in month_rows(p["id"], p["start"], NOW)]
        for row in rows:
            row["met"] = people[row["person_id"] - 1]["met"][row["number"]]
        for chunk in range(0, len(rows), 5000):
            await conn.execute(insert(BM), rows[chunk : chunk + 5000])
    return people


def expected(people: list[dict[str, Any]], zones: set[str | None], month: int) -> list[int]:
    found = []
    for p in people:
        window = benefit_month(p["start"], month)
        behind = not p["met"][month]
        last_days = window.end - timedelta(days=3) <= TODAY < window.end
        if (p["consent"] == "granted" and not p["opted_out"] and p["tz"] in zones and behind
                and last_days):  # fmt: skip
            found.append(p["id"])
    return found


async def test_a_sweep_selects_ten_thousand_people_by_sql_alone(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await seed(app, 10_000, random.Random(7))
    monkeypatch.setattr(crypto, "_cipher", NoDecryption([crypto.new_key()]))
    async with app.db.read() as conn:
        rows = await due(
            conn, "last_days", TODAY, zones={"Asia/Makassar"}, default_zone=False, month=3
        )
    want = expected(people, {"Asia/Makassar"}, 3)
    assert [person for person, _ in rows] == want
    assert want  # the seed reaches the case (the comparison could fail)
    async with app.db.read() as conn:
        rows = await due(
            conn, "last_days", TODAY, zones={"Asia/Jakarta"}, default_zone=True, month=3
        )
    assert [person for person, _ in rows] == expected(people, {"Asia/Jakarta", None}, 3)


async def test_setting_the_start_lays_out_the_months(app: App) -> None:
    P = table(Person)
    async with app.db.write() as conn:
        await conn.execute(insert(P).values(
            id=1, created_at=NOW, last_seen_at=NOW, consent="granted", opted_out=False, version=0,
        ))  # fmt: skip
        await set_benefit_start(conn, 1, date(2026, 2, 10), NOW)
    async with app.db.read() as conn:
        starting = await due(conn, "month_start", date(2026, 3, 10), zones=(), default_zone=True)
        nudged = await due(conn, "mid_month", date(2026, 2, 24), zones=(), default_zone=True)
    assert starting == [(1, 2)]
    assert nudged == [(1, 1)]
    async with app.db.write() as conn:
        await conn.execute(update(table(BenefitMonthRow)).values(met=True))
    async with app.db.read() as conn:
        assert await due(conn, "mid_month", date(2026, 2, 24), zones=(), default_zone=True) == []
        # the month's start is said to everyone, met or not
        assert await due(conn, "month_start", date(2026, 3, 10), zones=(), default_zone=True)
    async with app.db.write() as conn:
        await set_benefit_start(conn, 1, None, NOW)
    async with app.db.read() as conn:
        assert await due(conn, "month_start", date(2026, 3, 10), zones=(), default_zone=True) == []
