"""Issue 13, measured: an early "no" is known within five messages from the menu, and the
first screen fits a phone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.core.types import Context, Input
from bot.dialogs.eligibility import EligibilityDialog
from bot.records.model import EligibilityQuery
from bot.rules.config import RuleSettings
from bot.testing.client import ChatClient, consented

MAX_MESSAGES = 5  # from opening "Cek kelayakan" to the verdict, when an early answer excludes
FIRST_SCREEN = 700  # characters of the first reply on a plain channel (it was about 1,050)


@pytest.fixture
def app(sqlite_app: App) -> App:
    return sqlite_app


EXCLUSIONS = {
    "not laid off": ["laid_off:no"],
    "resigned": ["laid_off:yes", "reason:resign"],
    "contract ran out": ["laid_off:yes", "reason:contract_ended"],
    "permanent disability": ["laid_off:yes", "reason:disability"],
    "retired": ["laid_off:yes", "reason:retired"],
    "death": ["laid_off:yes", "reason:death"],
    "foreign national": ["laid_off:yes", "reason:employer", "citizen:no"],
    "54 or older at registration": ["laid_off:yes", "reason:employer", "citizen:yes", "age_ok:no"],
}


@pytest.mark.parametrize("channel", ["console", "telegram"])
@pytest.mark.parametrize("case", sorted(EXCLUSIONS))
async def test_an_early_exclusion_is_known_within_five_messages(
    app: App, case: str, channel: str
) -> None:
    client = await consented(ChatClient(app.engine, channel=channel, user=f"x-{case}"))
    messages = 0
    for payload in ["menu:eligibility", *EXCLUSIONS[case]]:
        assert "utter_verdict_not_eligible" not in client.said(), "stopped before its answer"
        offered = client.last[-1].payloads()
        assert payload in offered, (case, payload, offered)
        if channel == "console":
            await client.send(str(offered.index(payload) + 1))
        else:
            await client.click(payload)
        messages += 1
    assert client.said()[0] == "utter_verdict_not_eligible", client.text()
    assert "utter_result_menu_early" in client.said() or case == "54 or older at registration"
    assert messages <= MAX_MESSAGES


async def test_the_first_screen_fits_a_phone(app: App) -> None:
    client = ChatClient(app.engine, channel="console", user="first")
    await client.send("halo")
    assert client.said() == ["utter_welcome", "utter_privacy_notice", "utter_consent_question"]
    assert len(client.text()) <= FIRST_SCREEN, len(client.text())


# -- conversations stored before the question order changed ---------------------------------
def test_a_check_in_progress_in_the_old_order_goes_on() -> None:
    """Stored before citizenship and age moved up: the open question is answered, then the
    questions the new order asks earlier come next; nothing is lost."""
    dialog = EligibilityDialog(RuleSettings())
    ctx = Context(datetime(2025, 6, 2, 3, tzinfo=UTC), answers={EligibilityQuery(): None})
    stored = {"answers": {"laid_off": "yes", "reason": "employer", "contract": "pkwtt"},
              "step": "phk_date"}  # fmt: skip
    resumed = dialog.start(ctx, stored)
    assert [p.key for p in resumed.messages[-1].parts] == [
        "utter_eligibility_resume", "utter_ask_phk_date"
    ]  # fmt: skip
    turn = dialog.handle(ctx, resumed.data, Input(text="15-03-2025"))
    assert [p.key for p in turn.messages[-1].parts] == ["utter_ask_citizen"]
    assert turn.data["answers"] == {**stored["answers"], "phk_date": "2025-03-15"}
