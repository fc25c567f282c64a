"""Edges found in review: typed answers that look like commands, stale buttons from other
offers and sections, resumes during an offer, kept values that break a rule, drafts in DATA."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.testing.client import ChatClient, consented, eligible_until_contributions


@pytest.fixture
def app(sqlite_app: App) -> App:
    return sqlite_app


@pytest.fixture
async def client(app: App) -> ChatClient:
    return await consented(ChatClient(app.engine, channel="telegram", user="77"))


def payload_titled(client: ChatClient, title: str) -> str:
    return next(b.payload for b in client.last[-1].buttons if b.title == title)


async def test_job_names_are_not_commands(client: ChatClient) -> None:
    await client.click("menu:assessment")
    for typed in ("admin", "CS", "konselor"):
        await client.send(typed)
        assert "utter_human_requested" not in client.said(), typed
        assert client.said()[0] in ("utter_occupation_noted", "utter_did_you_mean"), typed
        if client.said()[0] == "utter_occupation_noted":
            await client.click("previous:more")


async def test_zero_months_is_a_number_not_the_menu(client: ChatClient) -> None:
    await eligible_until_contributions(client)
    await client.send("0")
    assert client.said() == ["utter_ask_consecutive_months"]


async def test_no_more_previous_jobs_in_words(client: ChatClient) -> None:
    await client.click("menu:assessment")
    await client.send("sopir")
    await client.send("tidak ada")
    assert client.said() == ["utter_ask_desired_job"]


async def test_unknown_text_at_any_more_stays_there(client: ChatClient) -> None:
    await client.click("menu:assessment")
    await client.send("sopir")
    await client.send("zzqx")
    assert client.said() == ["utter_more_not_understood", "utter_ask_previous_more"]
    await client.send("kembali")
    assert client.said() == ["utter_back_ok", "utter_ask_previous_job"]
    await client.send("kembali")  # no job left to go back to
    assert client.said() == ["utter_back_at_start", "utter_ask_previous_job"]


async def test_a_button_of_an_older_offer_is_stale(client: ChatClient) -> None:
    await client.click("menu:assessment")
    await client.send("opertor produksi")
    old = client.last[-1].payloads()[2]  # the third candidate of this offer
    await client.click(client.last[-1].payloads()[0])
    await client.click("previous:done")
    await client.send("admn")  # a new offer
    await client.click(old)
    assert client.said()[0] == "utter_invalid_stale_button"


async def test_an_entry_button_of_another_section_is_stale(client: ChatClient) -> None:
    await client.click("menu:profile")
    await client.click("profile:experience")
    for text in ("Operator", "PT A", "2019", "2024"):
        await client.send(text)
    stale = client.last[-1].payloads()[0]
    assert stale == "entry:experience:0"
    await client.click("profile:home")
    await client.click("profile:skill")
    await client.send("Mengelas")
    await client.click(stale)
    assert client.said()[0] == "utter_invalid_stale_button"


async def test_keeping_an_end_year_before_a_new_start_is_refused(client: ChatClient) -> None:
    await client.click("menu:profile")
    await client.click("profile:experience")
    for text in ("Operator", "PT A", "2015", "2018"):
        await client.send(text)
    await client.click("entry:experience:0")
    await client.click("entry:experience:0:edit")
    await client.click("pf:keep")
    await client.click("pf:keep")
    await client.send("2020")  # new start year
    await client.click("pf:keep")  # end year 2018 kept
    assert client.said() == ["utter_invalid_exp_end_before_start", "utter_ask_pf_exp_end",
                             "utter_keep_current"]  # fmt: skip


async def test_a_city_typed_as_province_offers_city_and_regency(client: ChatClient) -> None:
    await client.click("menu:jobseeker")
    await client.send("sopir")
    await client.click("status:phk")
    await client.click("where:id")
    await client.send("Bekasi")
    assert client.said() == ["utter_did_you_mean"]
    titles = [b.title for b in client.last[-1].buttons]
    assert titles[:2] == ["Kota Bekasi", "Kabupaten Bekasi"]
    await client.click(payload_titled(client, "Kabupaten Bekasi"))
    assert client.said() == ["utter_occupation_noted", "utter_ask_js_condition"]


async def test_an_unfinished_registration_is_shown_in_data(client: ChatClient) -> None:
    await client.click("menu:jobseeker")
    await client.send("sopir")
    await client.click("status:phk")
    await client.click("where:abroad")
    await client.send("Malaysia")
    await client.click("condition:mental")
    await client.send("menu")
    await client.send("data")
    assert "utter_data_js_draft" in client.said()
    assert "Disabilitas mental" in client.text()


async def test_an_old_menu_button_does_not_get_past_consent(app: App) -> None:
    client = ChatClient(app.engine, user="newcomer")
    await client.send("halo")
    await client.click("consent:decline")
    await client.click("menu:profile")
    assert client.said() == ["utter_consent_declined_reminder"]


async def test_resume_during_an_offer_asks_afresh(client: ChatClient) -> None:
    await client.click("menu:assessment")
    await client.send("opertor produksi")
    offer = client.last[-1].payloads()[0]
    await client.send("menu")
    await client.click("menu:assessment")
    assert client.said() == ["utter_assessment_resume", "utter_ask_previous_job", "utter_footer"]
    await client.click(offer)
    assert client.said()[0] == "utter_invalid_stale_button"
