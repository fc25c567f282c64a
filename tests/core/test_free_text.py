"""Free text through the real engine (issue 14): understood in a fixed order, acted on at
the menu when sure, asked about when not, and answered in the middle of a step only when the
step could not use it."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import App
from bot.core import freetext
from bot.core.conversation import (
    JOURNEYS,
    ConversationState,
    Journey,
    _settle_said,
)
from bot.core.types import DeleteMyData, EventKind, InboundEvent, Input, Say, Turn, combine
from bot.testing.client import ChatClient, consented
from nlu.interpreter import Interpreter, default_interpreter, load_interpreter

TODAY = date(2025, 6, 2)  # the frozen clock's day (Asia/Jakarta)


@pytest.fixture
def app(sqlite_app: App) -> App:
    return sqlite_app


@pytest.fixture
async def client(app: App) -> ChatClient:
    return await consented(ChatClient(app.engine, channel="telegram", user="31"))


@pytest.fixture
async def console(app: App) -> ChatClient:
    return await consented(ChatClient(app.engine, channel="console", user="32"))


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return default_interpreter()


def text(channel: str, typed: str) -> InboundEvent:
    return InboundEvent(channel, "x", EventKind.TEXT, text=typed)


# An eligible worker's answer to each choice question before the PHK date, whatever their
# order (the eligibility dialog may ask them in another order).
BEFORE_PHK_DATE = {"utter_ask_laid_off": "laid_off:yes", "utter_ask_reason": "reason:employer",
                   "utter_ask_citizen": "citizen:yes", "utter_ask_age_ok": "age_ok:yes",
                   "utter_ask_contract": "contract:pkwtt"}  # fmt: skip


def asked(client: ChatClient) -> str:
    """The question the last turn asked."""
    return next(k for k in reversed(client.said()) if k.startswith("utter_ask_"))


async def answer_until_phk_date(client: ChatClient) -> None:
    while asked(client) != "utter_ask_phk_date":
        await client.click(BEFORE_PHK_DATE[asked(client)])


# -- understanding: the order ---------------------------------------------------------------
MENU = [["menu:eligibility", "Cek kelayakan JKP"], ["menu:assessment", "Asesmen diri"],
        ["menu:profile", "Profil saya"]]  # fmt: skip


def test_numbers_titles_and_option_words_come_before_the_classifier(app: App) -> None:
    engine, state = app.engine, ConversationState(pending=MENU)
    assert engine.understand(text("console", "2"), state, TODAY) == Input(choice="menu:assessment")
    assert engine.understand(text("telegram", "asesmen diri"), state, TODAY).choice == (
        "menu:assessment"
    )
    assert engine.understand(text("telegram", "profil"), state, TODAY).choice == "menu:profile"
    # words for an option that is not on screen are free text
    free = engine.understand(text("telegram", "daftar pencari kerja"), state, TODAY)
    assert free.choice is None and free.parse is not None
    # the exact words first: no classifier for a navigation word or a short answer
    nav = engine.understand(text("telegram", "menu"), state, TODAY)
    assert (nav.intent, nav.parse) == ("menu", None)
    # on Telegram a digit is text, and the classifier finds nothing in it
    digit = engine.understand(text("telegram", "2"), state, TODAY)
    assert digit.choice is None and digit.parse is not None and digit.parse.intent is None


def test_yes_to_the_one_read_back_on_screen_chooses_it(app: App) -> None:
    engine = app.engine
    one = ConversationState(pending=[["confirm:wage:4500000", "Ya, Rp4.500.000"]])
    assert engine.understand(text("telegram", "iya bener"), one, TODAY) == Input(
        choice="confirm:wage:4500000"
    )
    two = ConversationState(
        pending=[["confirm:phk_date:2025-05-03", "a"], ["confirm:phk_date:2025-05-04", "b"]]
    )
    assert engine.understand(text("telegram", "ya"), two, TODAY).intent == "affirm"
    none = ConversationState(pending=[["laid_off:yes", "Ya, saya kena PHK"]])
    assert engine.understand(text("telegram", "ya"), none, TODAY).intent == "affirm"


def test_free_text_is_parsed_with_entities_as_of_today(app: App) -> None:
    inp = app.engine.understand(text("telegram", "sy kena phk tgl 3 kemarin"), ConversationState(),
                                TODAY)  # fmt: skip
    assert inp.parse is not None and inp.parse.intent == "check_eligibility"
    assert freetext.said(inp.parse) == {"date": "3 Mei 2025"}


def test_an_interpreter_not_trained_yet_is_not_asked(app: App) -> None:
    """Training takes seconds: it happens at start (build_app), never inside a turn."""
    cold = load_interpreter(cache_dir=None)
    assert not cold.ready
    engine = app.engine
    engine.interpreter, warm = cold, engine.interpreter
    try:
        inp = engine.understand(text("telegram", "kapan batas klaim?"), ConversationState(), TODAY)
    finally:
        engine.interpreter = warm
    assert inp.parse is None and not cold.ready
    assert warm.ready  # build_app prepared the app's own


# -- at the menu --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("sy mau cek kelayakan jkp dong", ["utter_eligibility_intro", "utter_ask_laid_off"]),
        ("mau ikut tes minat bakat", ["utter_assessment_intro", "utter_ask_previous_job"]),
        ("ada loker sopir di bekasi ga", ["utter_confirm_vac_search", "utter_ask_vac_search"]),
        ("status lamaran sy gimana", ["utter_portfolio_empty", "utter_menu"]),
        ("mau kirim bukti lamaran", ["utter_ev_intro", "utter_ask_ev_start"]),
        ("alhamdulillah diterima kerja", ["utter_placement_intro", "utter_ask_hired_on"]),
        ("mau konsultasi karir", ["utter_soon_ask_counseling", "utter_menu"]),
        ("jkp itu dapet berapa bulan?", ["utter_benefit_info/duration", "utter_menu"]),
        ("halo kak", ["utter_greet", "utter_menu"]),
        ("makasih ya", ["utter_thanks", "utter_menu"]),
        ("resep nasi goreng", ["utter_out_of_scope", "utter_menu"]),
        ("sy mau liat data sy dong", ["utter_my_data_intro", "utter_my_data_no_answers",
                                      "utter_my_data_opted_in", "utter_my_data_actions"]),
    ],
)  # fmt: skip
async def test_free_text_at_the_menu_goes_where_it_asks(
    client: ChatClient, typed: str, said: list[str]
) -> None:
    await client.send(typed)
    assert client.said()[: len(said)] == said


async def test_an_answer_said_at_the_menu_is_read_back_when_its_question_comes(
    client: ChatClient,
) -> None:
    await client.send("sy kena phk tgl 3 kemarin")
    assert client.said()[:2] == ["utter_eligibility_intro", "utter_ask_laid_off"]
    await answer_until_phk_date(client)
    assert client.said() == ["utter_confirm_date_said", "utter_ask_phk_date"]
    assert "3 Mei 2025" in client.text()
    assert client.last[-1].payloads() == ["confirm:phk_date:2025-05-03", "phk_date:unknown"]
    # nothing is assumed: going back and forth, the date is still to be confirmed
    await client.send("data saya")  # what waits to be confirmed is shown too
    assert "utter_my_data_said" in client.said() and "3 Mei 2025" in client.text()
    await client.click("confirm:phk_date:2025-05-03")  # the button, still on screen above
    assert client.said() == ["utter_ask_phi_pending"]
    await client.send("data saya")
    assert "utter_my_data_said" not in client.said()
    await client.send("kembali")
    assert client.said() == ["utter_back_ok", "utter_ask_phk_date"]  # said once, then typed


async def test_a_search_said_at_the_menu_joins_job_and_place_and_is_read_back(
    client: ChatClient,
) -> None:
    await client.send("ada loker sopir di bekasi ga")
    assert 'Tadi Anda menyebut "sopir bekasi"' in client.text()
    assert client.last[-1].payloads()[0] == "confirm:vac_search:sopir bekasi"
    await client.send("ya")  # the one read-back on screen
    assert client.said()[0] in ("utter_ask_vac_place", "utter_vac_results")


async def test_a_different_date_typed_replaces_the_one_said(client: ChatClient) -> None:
    await client.send("sy kena phk tgl 3 kemarin")
    await answer_until_phk_date(client)
    await client.send("15-03-2025")
    assert client.said() == ["utter_ask_phi_pending"]
    await client.send("menu")
    await client.click("menu:my_data")
    assert "15 Maret 2025" in client.text() and "3 Mei 2025" not in client.text()


async def test_unsure_readings_are_offered_and_a_choice_acts(client: ChatClient) -> None:
    await client.send("saya berhenti kerja")
    assert client.said() == ["utter_did_you_mean_intent", "utter_option_check_eligibility",
                             "utter_option_stop", "utter_did_you_mean_other"]  # fmt: skip
    assert client.last[-1].payloads() == ["nlu:check_eligibility", "nlu:stop", "/menu"]
    await client.click("nlu:check_eligibility")
    assert client.said()[:2] == ["utter_eligibility_intro", "utter_ask_laid_off"]


async def test_a_classifier_stop_is_asked_about_but_the_button_stops(client: ChatClient) -> None:
    await client.send("jangan kirimin sy pesan lagi ya")  # the classifier is sure: 0.9
    assert client.said()[:2] == ["utter_did_you_mean_intent", "utter_option_stop"]
    await client.click("nlu:stop")
    assert client.said() == ["utter_stopped"]


async def test_a_chosen_reading_keeps_the_date_it_carried(client: ChatClient) -> None:
    await client.click("nlu:check_eligibility|date=3 Mei 2025")
    await answer_until_phk_date(client)
    assert client.said() == ["utter_confirm_date_said", "utter_ask_phk_date"]


async def test_an_unknown_reading_button_is_stale(client: ChatClient) -> None:
    await client.click("nlu:nonsense")
    assert client.said() == ["utter_invalid_stale_button", "utter_menu"]


async def test_junk_at_the_menu_is_not_understood(client: ChatClient) -> None:
    for junk in ("qwerty", "hmm", "🙂🙂", "x" * 3000):
        await client.send(junk)
        assert client.said() == ["utter_menu_not_understood", "utter_menu"], junk


# -- in the middle of a step -------------------------------------------------------------
async def phk_date_step(client: ChatClient) -> None:
    await client.click("menu:eligibility")
    await answer_until_phk_date(client)
    assert client.said() == ["utter_ask_phk_date"]


async def test_a_question_at_a_date_step_is_answered_and_the_step_asked_again(
    client: ChatClient,
) -> None:
    await phk_date_step(client)
    await client.send("kapan batas klaim?")
    assert client.said() == ["utter_benefit_info/deadline", "utter_back_to_step",
                             "utter_ask_phk_date"]  # fmt: skip
    assert "PP 37/2021 Pasal 40" in client.text() and "6 bulan" in client.text()
    await client.send("15-03-2025")
    assert client.said() == ["utter_ask_phi_pending"]


async def test_a_question_at_a_yes_no_step(client: ChatClient) -> None:
    await client.click("menu:eligibility")
    await client.send("jkp itu dapet berapa bulan?")
    assert client.said() == ["utter_benefit_info/duration", "utter_back_to_step",
                             "utter_ask_laid_off"]  # fmt: skip


async def test_what_a_step_can_use_is_never_taken_for_a_question(client: ChatClient) -> None:
    await phk_date_step(client)
    await client.send("kemarin")  # a date, though the classifier reads it as something
    assert client.said() == ["utter_confirm_date", "utter_ask_phk_date"]
    await client.send("hari ini")  # a date the classifier is sure is out of scope
    assert client.said() == ["utter_confirm_date", "utter_ask_phk_date"]
    await client.send("menu")
    await client.click("menu:assessment")
    await client.send("Operator")  # a job title, not "talk to an operator"
    assert client.said() == ["utter_did_you_mean"]
    await client.send("menu")
    await client.click("menu:profile")
    await client.click("profile:personal")
    await client.send("Universitas Indonesia")  # "out of scope", says the classifier, surely
    assert client.said() == ["utter_ask_pf_birth_date"]  # but this step takes it
    await client.send("kembali")
    await client.send("Budi Santoso")  # a name
    assert client.said() == ["utter_ask_pf_birth_date"]


async def test_a_question_at_a_name_step_is_not_a_name(client: ChatClient) -> None:
    await client.click("menu:profile")
    await client.click("profile:personal")
    await client.send("kapan batas klaim?")
    assert client.said() == ["utter_benefit_info/deadline", "utter_back_to_step",
                             "utter_ask_pf_full_name"]  # fmt: skip
    await client.send("gimana cara isinya?")  # a question, but not a FAQ one
    assert client.said() == ["utter_invalid_text_question", "utter_ask_pf_full_name"]


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("pinjam uang dong", ["utter_out_of_scope_step", "utter_ask_laid_off"]),
        ("makasih kak", ["utter_thanks_step", "utter_ask_laid_off"]),
        ("cari loker sopir", ["utter_invalid_choice", "utter_ask_laid_off"]),  # no journey switch
        ("hmm", ["utter_invalid_choice", "utter_ask_laid_off"]),  # one unknown word
        ("apa", ["utter_invalid_choice", "utter_ask_laid_off"]),
    ],
)
async def test_small_talk_at_a_step_and_what_is_left_to_the_step(
    client: ChatClient, typed: str, said: list[str]
) -> None:
    await client.click("menu:eligibility")
    await client.send(typed)
    assert client.said() == said


# -- pure pieces --------------------------------------------------------------------------
def test_reading_buttons_fit_telegram_and_round_trip() -> None:
    long_place = "Kabupaten Kepulauan Siau Tagulandang Biaro"
    payload = freetext.choice_payload(
        "search_vacancies", {"job": "Operator Mesin Produksi", "place": long_place},
        ("job", "place"),
    )  # fmt: skip
    assert len(payload.encode()) <= freetext.MAX_PAYLOAD_BYTES
    assert payload == "nlu:search_vacancies|job=Operator Mesin Produksi"
    assert freetext.read_choice(payload) == ("search_vacancies", {"job": "Operator Mesin Produksi"})
    said = {"date": "3 Mei 2025", "job": "x"}
    wanted = "nlu:check_eligibility|date=3 Mei 2025"
    assert freetext.choice_payload("check_eligibility", said, ("date",)) == wanted
    for label in (*JOURNEYS, *freetext.FAQ_LABELS):
        assert len(f"nlu:{label}".encode()) <= freetext.MAX_PAYLOAD_BYTES
    assert freetext.read_choice("menu:eligibility") is None


def test_unread_needs_the_step_unchanged_and_a_not_understood_reply() -> None:
    data = {"step": "laid_off", "answers": {}}
    ask = Say("utter_ask_laid_off")
    assert freetext.unread(data, Turn(dict(data), (combine(Say("utter_invalid_choice"), ask),)))
    assert freetext.unread(data, Turn(dict(data), (combine(Say("utter_occupation_not_found"),
                                                           ask),)))  # fmt: skip
    assert not freetext.unread(data, Turn({"step": "reason"}, (combine(ask),)))
    assert not freetext.unread(data, Turn(dict(data), (combine(Say("utter_confirm_date"), ask),)))
    assert not freetext.unread(data, Turn(dict(data), (combine(Say("utter_invalid_media"), ask),)))
    invalid = combine(Say("utter_invalid_choice"), ask)
    assert not freetext.unread(data, Turn(dict(data), (invalid,), done=True))
    assert not freetext.unread(data, Turn(dict(data), (invalid,), (DeleteMyData(),)))


def test_proposals_last_until_their_question_was_asked_and_left() -> None:
    said = {"eligibility": {"phk_date": {"text": "3 Mei 2025", "shown": False}}}
    asking = {"eligibility": {"step": "phk_date", "answers": {}}}
    before = ConversationState("eligibility", {"eligibility": {"step": "reason"}}, said=said)
    assert _settle_said(before).said == said
    at = _settle_said(ConversationState("eligibility", asking, said=said))
    assert at.said["eligibility"]["phk_date"]["shown"] is True
    moved = ConversationState("eligibility", {"eligibility": {"step": "phi_pending"}},
                              said=at.said)  # fmt: skip
    assert _settle_said(moved).said == {}
    assert _settle_said(ConversationState(None, asking, said=said)).said == {}  # left for menu
    # kept in the stored state only while they matter
    assert "said" not in ConversationState().to_json()
    assert ConversationState.from_json(at.to_json()).said == at.said


def test_journeys_name_dialogs_that_exist(app: App) -> None:
    dialogs = set(app.engine.router.dialogs)
    for intent, journey in JOURNEYS.items():
        assert journey is None or (isinstance(journey, Journey) and journey.dialog in dialogs), (
            intent
        )
