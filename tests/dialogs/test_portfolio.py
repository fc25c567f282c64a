"""Lamaran saya: the pure dialog (pages, stale page buttons, KEMBALI, DATA, a status notice),
then through the engine and the database with applications recorded as "Lamar sekarang"
records them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.core.types import Context, Input, SystemEvent, Turn
from bot.dialogs.portfolio import PAGE, STATUS_CHANGED, PortfolioDialog
from bot.records.model import ApplicationRecord, ApplicationsQuery, RecordApplication
from bot.storage.models import Application
from bot.testing.client import ChatClient, consented
from bot.testing.db import apply_effects, count, snapshot

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
DIALOG = PortfolioDialog()


def record(n: int, status: str = "sent") -> ApplicationRecord:
    at = datetime(2025, 5, 1, 3, 0, tzinfo=UTC) + timedelta(days=n)
    return ApplicationRecord(
        id=n, source="karirhub", source_id=f"v{n}", title=f"Operator {n}",
        company=f"PT Maju {n}", city="Bekasi", applied_at=at, applied_on=at.date(),
        status=status, status_at=at + timedelta(days=2),
    )  # fmt: skip


def ctx(*apps: ApplicationRecord) -> Context:
    newest_first = tuple(sorted(apps, key=lambda a: a.applied_at, reverse=True))
    return Context(NOW, answers={ApplicationsQuery(): newest_first})


def keys(turn: Turn) -> list[str]:
    return [p.key for m in turn.messages for p in m.parts]


def params(turn: Turn, key: str) -> list[dict[str, str]]:
    return [dict(p.params) for m in turn.messages for p in m.parts if p.key == key]


def test_no_applications_says_where_they_will_appear() -> None:
    turn = DIALOG.start(ctx(), {})
    assert keys(turn) == ["utter_portfolio_empty"] and turn.done


def test_a_few_applications_fit_one_page_newest_first_with_their_status() -> None:
    turn = DIALOG.start(ctx(record(1), record(2, "invited"), record(3, "rejected")), {})
    assert turn.done  # one page: the menu follows
    assert keys(turn) == ["utter_portfolio_title", "utter_portfolio_item_rejected",
                          "utter_portfolio_item_invited", "utter_portfolio_item_sent"]  # fmt: skip
    first = params(turn, "utter_portfolio_item_rejected")[0]
    assert first == {"number": "1", "title": "Operator 3", "company": "PT Maju 3",
                     "date": "4 Mei 2025", "changed": "6 Mei 2025"}  # fmt: skip
    assert params(turn, "utter_portfolio_title") == [{"count": "3"}]


def test_many_applications_are_paged_and_a_stale_page_button_says_so() -> None:
    apps = [record(n) for n in range(1, 2 * PAGE + 3)]  # 12: three pages
    c = ctx(*apps)
    first = DIALOG.start(c, {})
    assert not first.done and first.data == {"step": "list", "page": 0}
    assert keys(first)[-2:] == ["utter_portfolio_page", "utter_portfolio_next"]
    assert params(first, "utter_portfolio_next") == [{"page": "1"}]
    second = DIALOG.handle(c, first.data, Input(choice="portfolio_page:1"))
    assert second.data == {"step": "list", "page": 1}
    numbers = [p["number"] for p in params(second, "utter_portfolio_item_sent")]
    assert numbers == ["6", "7", "8", "9", "10"]
    assert keys(second)[-3:] == ["utter_portfolio_page", "utter_portfolio_next",
                                 "utter_portfolio_previous"]  # fmt: skip
    last = DIALOG.handle(c, second.data, Input(choice="portfolio_page:2"))
    assert len(params(last, "utter_portfolio_item_sent")) == 2
    assert "utter_portfolio_next" not in keys(last)
    stale = DIALOG.handle(c, last.data, Input(choice="portfolio_page:7"))
    assert keys(stale)[0] == "utter_invalid_stale_button" and stale.data == last.data
    typed = DIALOG.handle(c, last.data, Input(text="apa ini"))
    assert keys(typed)[0] == "utter_invalid_choice" and typed.data == last.data
    back = DIALOG.back(c, last.data)
    assert back.data == {"step": "list", "page": 1}
    assert DIALOG.back(c, first.data).done  # before the first page: the menu


def test_the_list_shrinking_under_a_page_keeps_a_page_that_exists() -> None:
    c = ctx(record(1), record(2))
    turn = DIALOG.handle(c, {"step": "list", "page": 3}, Input(choice="portfolio_page:0"))
    assert turn.done and len(params(turn, "utter_portfolio_item_sent")) == 2


def test_data_shows_every_application() -> None:
    lines = DIALOG.summary(ctx(record(1), record(2, "accepted")), {})
    assert [k for k, _ in lines] == ["utter_data_applications", "utter_portfolio_item_accepted",
                                     "utter_portfolio_item_sent"]  # fmt: skip
    assert DIALOG.summary(ctx(), {}) == []


def test_a_status_notice_names_the_application_and_a_deleted_one_is_silent() -> None:
    c = ctx(record(1, "invited"))
    event = SystemEvent(1, STATUS_CHANGED, {"application_id": 1, "status": "invited"})
    turn = DIALOG.system(c, {"step": "list", "page": 0}, event)
    assert keys(turn) == ["utter_application_status_invited", "utter_portfolio_open"]
    assert params(turn, "utter_application_status_invited")[0]["company"] == "PT Maju 1"
    assert turn.data == {"step": "list", "page": 0} and not turn.activate
    gone = SystemEvent(1, STATUS_CHANGED, {"application_id": 9, "status": "invited"})
    assert DIALOG.system(c, {}, gone).messages == ()


# -- through the engine -------------------------------------------------------------------
@pytest.fixture
def app(sqlite_app: App) -> App:
    return sqlite_app


async def apply(app: App, client: ChatClient, n: int, day: date) -> int:
    snap = await snapshot(app, client.channel, client.user)
    assert snap is not None
    effect = RecordApplication("karirhub", f"v{n}", f"Operator {n}", f"PT Maju {n}", on=day)
    await apply_effects(app, snap.person.id, effect)
    return snap.person.id


async def test_the_menu_and_free_text_open_the_portfolio(app: App) -> None:
    client = await consented(ChatClient(app.engine, channel="telegram", user="p1"))
    await client.click("menu:portfolio")
    assert client.said() == ["utter_portfolio_empty", "utter_menu"]
    for n in range(1, PAGE + 2):
        await apply(app, client, n, date(2025, 5, n))
    await client.send("status lamaran sy gimana")
    assert client.said()[:2] == ["utter_portfolio_title", "utter_portfolio_item_sent"]
    assert "PT Maju 6" in client.text() and "1 Mei 2025" not in client.text()
    await client.click("portfolio_page:1")
    assert "Operator 2" not in client.text() and "- Operator 1, PT Maju 1" in client.text()
    await client.send("data")
    assert "utter_data_applications" in client.said()
    assert "Lamaran lewat chat ini: 6" in client.text()
    await client.send("menu")
    await client.click("portfolio_page:0")  # a page button of a list left behind
    assert client.said() == ["utter_invalid_stale_button", "utter_menu"]


async def test_hapus_deletes_the_applications(app: App) -> None:
    client = await consented(ChatClient(app.engine, user="p2"))
    other = await consented(ChatClient(app.engine, user="p3"))
    await apply(app, client, 1, date(2025, 5, 1))
    await apply(app, other, 2, date(2025, 5, 2))
    await client.send("hapus")
    await client.click("delete:yes")
    assert await count(app, Application) == 1  # only the other person's
    await other.click("menu:portfolio")
    assert "PT Maju 2" in other.text()
