"""Applications as records: one per vacancy, newest first, a status change bumps the version,
the ledger reads them by month."""

from __future__ import annotations

from datetime import date

from bot.app import App
from bot.records.applications import catalogue_applications, load_applications, set_status
from bot.records.model import RecordApplication
from bot.testing.client import ChatClient, consented
from bot.testing.db import person_row, snapshot


async def test_one_application_per_vacancy_and_its_status(app: App) -> None:
    await consented(ChatClient(app.engine, user="ap"))
    snap = await snapshot(app, "console", "ap")
    assert snap is not None
    person = snap.person.id
    from bot.core.services import Scope

    scope = Scope(person, snap.identity_id, "console", app.engine.clock())
    first = RecordApplication("karirhub", "v1", "Sopir", "PT Maju", "Bekasi",
                              on=date(2025, 6, 2))  # fmt: skip
    again = RecordApplication("karirhub", "v1", "Sopir", "PT Maju", "Bekasi",
                              on=date(2025, 6, 3))  # fmt: skip
    other = RecordApplication("karirhub", "v2", "Kurir", "CV Cepat", on=date(2025, 7, 1))
    async with app.db.write() as conn:
        for effect in (first, again, other):
            await app.engine.services.apply(conn, scope, effect)
    async with app.db.read() as conn:
        apps = await load_applications(conn, person)
        june = await catalogue_applications(conn, person, date(2025, 6, 1), date(2025, 7, 1))
    assert [(a.source_id, a.applied_on) for a in apps] == [
        ("v2", date(2025, 7, 1)), ("v1", date(2025, 6, 2)),
    ]  # fmt: skip
    assert [(a.company, a.day) for a in june] == [("PT Maju", date(2025, 6, 2))]
    version = (await person_row(app, "console", "ap")).version
    async with app.db.write() as conn:
        assert await set_status(conn, apps[1].id, "invited", app.engine.clock()) == person
        assert await set_status(conn, apps[1].id, "invited", app.engine.clock()) is None
    assert (await person_row(app, "console", "ap")).version == version + 1
    async with app.db.read() as conn:
        assert (await load_applications(conn, person))[1].status == "invited"
