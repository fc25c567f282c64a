"""The vacancy dialog as a pure function: the queries it asks, the keys it answers with, the
effects it returns (no database: answers are given in the Context)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.core import freetext
from bot.core.domain import load_default_domain
from bot.core.types import Context, Input, NeedAnswers, PersonFacts, Query, Say, Turn
from bot.dialogs.vacancies import (
    VacanciesDialog,
    ago,
    fit_lines,
    person_profile,
    query_from_data,
    query_to_data,
    why_line,
)
from bot.records.model import (
    ApplicationRecord,
    ApplicationsQuery,
    AssessmentRecord,
    AssessmentsQuery,
    GroupScore,
    ProfileQuery,
    ProfileRecord,
    RecordApplication,
    RegistrationQuery,
    RegistrationRecord,
)
from bot.vacancies import callbacks
from bot.vacancies.asks import (
    CategoriesQuery,
    RecommendVacancies,
    SearchVacancies,
    VacancyDetailQuery,
)
from bot.vacancies.model import (
    PlaceOption,
    Profile,
    Reason,
    Recommendation,
    SearchPage,
    Suggestion,
    Understanding,
    VacancyDetail,
    VacancyHit,
    VacancyQuery,
)
from bot.vacancies.query import is_question, understand

NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
TODAY = NOW.date()
DIALOG = VacanciesDialog()
DOMAIN = load_default_domain()
NO_ONE = ProfileRecord()


def hit(n: int, **kw: Any) -> VacancyHit:
    values: dict[str, Any] = dict(
        id=n, source="uji", source_id=f"R{n:03}", title=f"Operator {n}", company=f"PT Maju {n}",
        place="Kota Bekasi", regency_code="3275", province_code="32", country="ID",
        wage_min=4_500_000, wage_max=5_500_000, employment_type="pkwt",
        posted_at=date(2025, 5, 31), closes_at=date(2025, 7, 1), occupation_code="8189",
        disability_friendly=False, featured=False, score=1.0,
    )  # fmt: skip
    values.update(kw)
    return VacancyHit(**values)


def detail(h: VacancyHit, **kw: Any) -> VacancyDetail:
    values: dict[str, Any] = dict(
        hit=h, status="open", openings=2, education_min=None, age_max=None, sex="semua",
        description="Menjalankan mesin.", requirements="- SMA", url=None, city=None,
    )  # fmt: skip
    values.update(kw)
    return VacancyDetail(**values)


def ctx(
    answers: dict[Query[Any], Any] | None = None, channel: str = "console", **kw: Any
) -> Context:
    return Context(NOW, answers=answers or {}, channel=channel, **kw)


def options(turn: Turn, channel: str = "sms") -> list[tuple[str, str]]:
    """The numbered options as the person sees them, (title, payload), 1 first."""
    rendered = DOMAIN.render(turn.messages[-1], channel)
    return [(b.title, b.payload) for b in rendered.buttons]


def keys(turn: Turn) -> list[str]:
    return [p.key for m in turn.messages for p in m.parts]


def payloads(turn: Turn) -> list[str]:
    return [c[1] for m in turn.messages for p in m.parts for c in p.choices]


def page_of(q: VacancyQuery, hits: tuple[VacancyHit, ...], total: int, **kw: Any) -> SearchPage:
    return SearchPage(query=q, understood=kw.pop("und", Understanding()), hits=hits,
                      total=total, more=False, **kw)  # fmt: skip


def asked(fn: Any) -> tuple[Query[Any], ...]:
    try:
        fn()
    except NeedAnswers as need:
        return need.queries
    raise AssertionError("nothing was asked")


# -- searching ------------------------------------------------------------------------------
def test_the_hub_is_the_search_question_and_a_deep_link_opens_for_me() -> None:
    turn = DIALOG.start(ctx(), {})
    assert keys(turn) == ["utter_ask_vac_search"] and turn.data == {"step": "vac_search"}
    queries = asked(lambda: DIALOG.start(ctx(), {"entry": "forme"}))
    assert set(queries) == {AssessmentsQuery(), RegistrationQuery(), ProfileQuery()}


def test_typed_text_is_searched_and_a_page_shows_five_lines_with_next() -> None:
    q = VacancyQuery(text="operator bekasi")
    assert asked(lambda: DIALOG.handle(ctx(), {"step": "vac_search"},
                                       Input(text=" operator  bekasi "))) == (
        SearchVacancies(q, TODAY),
    )  # fmt: skip
    hits = tuple(hit(n) for n in range(1, 6))
    answers = {SearchVacancies(q, TODAY): page_of(q, hits, 12)}
    turn = DIALOG.handle(ctx(answers), {"step": "vac_search"}, Input(text="operator bekasi"))
    assert keys(turn) == ["utter_vac_results", "utter_vac_page", *["utter_vac_hit"] * 5,
                          "utter_vac_next", "utter_ask_vac_results"]  # fmt: skip
    line = turn.messages[0].parts[2]
    assert line.params == {"n": "1", "title": "Operator 1", "company": "PT Maju 1",
                           "place": "Kota Bekasi", "wage": ", Rp4.500.000 - Rp5.500.000",
                           "ago": "2 hari lalu"}  # fmt: skip
    assert line.choices == (("Operator 1 - PT Maju 1", "vac:1"),)
    assert turn.messages[0].parts[-2].params == {"token": callbacks.query_token(q), "page": "1"}
    assert turn.data == {"step": "results", "q": query_to_data(q), "page": 0}


def test_page_buttons_of_another_search_are_stale() -> None:
    q = VacancyQuery(text="operator")
    data = {"step": "results", "q": query_to_data(q), "page": 0}
    second = SearchVacancies(q.at_page(1), TODAY)
    first = SearchVacancies(q, TODAY)
    answers = {first: page_of(q, (hit(1),), 6), second: page_of(q.at_page(1), (hit(6),), 6)}
    turn = DIALOG.handle(ctx(answers), data, Input(choice=callbacks.page(q, 1)))
    assert keys(turn)[0] == "utter_vac_results" and "utter_vac_previous" in keys(turn)
    assert turn.data["page"] == 1
    # numbered 1-5 on every page, as the options are on plain channels
    assert turn.messages[0].parts[2].params["n"] == "1"
    other = callbacks.page(VacancyQuery(text="sopir"), 1)
    stale = DIALOG.handle(ctx(answers), data, Input(choice=other))
    assert keys(stale)[0] == "utter_invalid_stale_button" and stale.data == data


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_by_text_message_a_page_holds_three_each_a_numbered_option(channel: str) -> None:
    """Pages of 3 (asked of the catalogue as such: page 1 starts at the 4th), each vacancy
    one numbered option with its place (the wage is on the card), then the page buttons."""
    q = VacancyQuery(text="operator")
    typed = Input(text="operator")
    assert asked(lambda: DIALOG.handle(ctx(channel=channel), {"step": "vac_search"}, typed)) == (
        SearchVacancies(q, TODAY, 3),
    )
    first, second = SearchVacancies(q, TODAY, 3), SearchVacancies(q.at_page(1), TODAY, 3)
    answers = {first: page_of(q, tuple(hit(n) for n in (1, 2, 3)), 13, page_size=3),
               second: page_of(q.at_page(1), tuple(hit(n) for n in (4, 5, 6)), 13,
                               page_size=3)}  # fmt: skip
    turn = DIALOG.handle(ctx(answers, channel), {"step": "vac_search"}, typed)
    assert keys(turn) == ["utter_vac_results", "utter_vac_page", "utter_vac_next",
                          "utter_ask_vac_results"]  # fmt: skip
    assert turn.messages[0].parts[1].params["pages"] == "5"
    shown = options(turn)
    assert shown[:4] == [("Operator 1 - PT Maju 1, Kota Bekasi", "vac:1"),
                         ("Operator 2 - PT Maju 2, Kota Bekasi", "vac:2"),
                         ("Operator 3 - PT Maju 3, Kota Bekasi", "vac:3"),
                         ("Halaman berikutnya", callbacks.page(q, 1))]  # fmt: skip
    assert "Rp" not in DOMAIN.render(turn.messages[0], "sms").text
    nxt = DIALOG.handle(ctx(answers, channel), turn.data, Input(choice=shown[3][1]))
    assert nxt.data["page"] == 1
    pages = [callbacks.page(q, 2), callbacks.page(q, 0)]
    assert [p for _, p in options(nxt)][:5] == ["vac:4", "vac:5", "vac:6", *pages]
    # "2" on page 2 is the 5th vacancy
    assert options(nxt)[1][1] == "vac:5"
    # elsewhere, five a page with a line each, as before
    assert asked(lambda: DIALOG.handle(ctx(), {"step": "vac_search"}, typed)) == (
        SearchVacancies(q, TODAY),
    )


def test_by_text_message_for_me_lists_three_without_why_lines() -> None:
    registration = RegistrationRecord("Kasir", "ter_phk", "none", "32", "3275")
    profile, _ = person_profile((), registration, NO_ONE)
    recs = tuple(Recommendation(hit(n), (Reason("new"),)) for n in range(1, 5))
    answers = {AssessmentsQuery(): (), RegistrationQuery(): registration, ProfileQuery(): NO_ONE,
               RecommendVacancies(profile, TODAY, 0, 3): recs}  # fmt: skip
    turn = DIALOG.handle(ctx(answers, "sms"), {"step": "vac_search"}, Input(choice="vac:forme"))
    assert keys(turn) == ["utter_vac_forme_head", "utter_vac_forme_next", "utter_ask_vac_forme"]
    assert [p for _, p in options(turn)] == ["vac:1", "vac:2", "vac:3", "vfm:1", "vac:new"]


GROUPS = tuple((f"{n:02}", f"Golongan {n}", 30 - n) for n in range(11, 25))  # most first


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_by_text_message_the_job_groups_come_five_at_a_time(channel: str) -> None:
    answers = {CategoriesQuery(): GROUPS}
    turn = DIALOG.handle(ctx(answers, channel), {"step": "vac_search"},
                         Input(choice="vac:categories"))  # fmt: skip
    assert keys(turn) == ["utter_ask_vac_category", "utter_vac_category_more"]
    assert turn.data == {"step": "categories", "page": 0}
    assert options(turn) == [*((f"Golongan {n} ({30 - n})", f"vcat:{n}") for n in range(11, 16)),
                             ("Golongan lainnya", "vcatp:1")]  # fmt: skip
    pages = [options(turn)]
    for _ in range(3):
        turn = DIALOG.handle(ctx(answers, channel), turn.data, Input(choice=pages[-1][-1][1]))
        pages.append(options(turn))
    # the 12 with most vacancies, 5 + 5 + 2, then the first five again
    assert [[p for _, p in page[:-1]] for page in pages[1:3]] == [
        [f"vcat:{n}" for n in range(16, 21)],
        ["vcat:21", "vcat:22"],
    ]
    assert pages[3] == pages[0] and pages[2][-1] == ("Golongan lainnya", "vcatp:0")
    # a problem on page 2 shows page 2 again; a group opens its vacancies
    on_two = {"step": "categories", "page": 1}
    again = DIALOG.handle(ctx(answers, channel), on_two, Input(media="sticker"))
    assert keys(again)[0] == "utter_invalid_media" and options(again) == pages[1]
    assert asked(lambda: DIALOG.handle(ctx(answers, channel), on_two,
                                       Input(choice="vcat:17"))) == (
        SearchVacancies(VacancyQuery(group="17"), TODAY, 3),
    )  # fmt: skip
    # elsewhere the 12 at once
    whole = DIALOG.handle(ctx(answers), {"step": "vac_search"}, Input(choice="vac:categories"))
    assert keys(whole) == ["utter_ask_vac_category"] and len(options(whole, "telegram")) == 12


def test_an_empty_result_offers_broader_searches_never_a_dead_end() -> None:
    q = VacancyQuery(text="kasir merauke")
    wider = VacancyQuery(text="kasir merauke", ignore_place=True)
    suggestions = (Suggestion("without_place", wider, "", 2),
                   Suggestion("latest", VacancyQuery(), "", 83))  # fmt: skip
    answers = {SearchVacancies(q, TODAY): page_of(q, (), 0, suggestions=suggestions),
               SearchVacancies(wider, TODAY): page_of(wider, (hit(3),), 1)}  # fmt: skip
    turn = DIALOG.handle(ctx(answers), {"step": "vac_search"}, Input(text="kasir merauke"))
    assert keys(turn) == ["utter_vac_results", "utter_vac_none", "utter_vac_suggest_without_place",
                          "utter_vac_suggest_latest", "utter_ask_vac_broader"]  # fmt: skip
    token = callbacks.query_token(q)
    assert turn.messages[0].parts[2].params == {"token": token, "i": "0", "label": "",
                                                "count": "2"}  # fmt: skip
    chosen = DIALOG.handle(ctx(answers), turn.data, Input(choice=callbacks.suggestion(q, 0)))
    assert "utter_vac_hit" in keys(chosen) and chosen.data["q"] == query_to_data(wider)


def test_text_with_no_word_of_any_vacancy_is_unread_so_a_question_can_be_answered() -> None:
    q = VacancyQuery(text="kapan cair")
    und = Understanding(words=("kapan", "cair"))
    latest = (Suggestion("latest", VacancyQuery(), "", 83),)
    page = page_of(q, (), 0, und=und, suggestions=latest, unknown_words=("kapan", "cair"))
    data = {"step": "vac_search"}
    turn = DIALOG.handle(ctx({SearchVacancies(q, TODAY): page}), data, Input(text="kapan cair"))
    assert keys(turn) == ["utter_vac_not_found", "utter_ask_vac_search"]
    assert turn.data == data and freetext.unread(data, turn)
    search = VacancyQuery(text="las cair")  # one word is in vacancies: a real search
    und = Understanding(words=("las", "cair"))
    known = page_of(search, (), 0, und=und, suggestions=latest, unknown_words=("cair",))
    answers = {SearchVacancies(search, TODAY): known}
    turn = DIALOG.handle(ctx(answers), data, Input(text="las cair"))
    assert keys(turn)[:2] == ["utter_vac_results", "utter_vac_none"]


def test_a_question_that_finds_nothing_is_unread_even_near_a_job_title() -> None:
    """ "kapan batas klaim?": "klaim" is near a job title (Staf Klaim), and still the text is
    a question to answer, not a search with suggestions; a question that finds vacancies is
    a search ("ada lowongan satpam?")."""
    q = VacancyQuery(text="kapan batas klaim?")
    und = Understanding(words=("batas", "klaim"))
    similar = (Suggestion("similar_title", VacancyQuery(text="staf klaim"), "Staf Klaim", 52),)
    page = page_of(q, (), 0, und=und, suggestions=similar, unknown_words=("batas",))
    data = {"step": "vac_search"}
    turn = DIALOG.handle(ctx({SearchVacancies(q, TODAY): page}), data, Input(text=q.text))
    assert keys(turn) == ["utter_vac_not_found", "utter_ask_vac_search"]
    assert freetext.unread(data, turn)
    found = VacancyQuery(text="ada lowongan satpam?")
    hits = page_of(found, (hit(1),), 1, und=Understanding(words=("satpam",)))
    turn = DIALOG.handle(ctx({SearchVacancies(found, TODAY): hits}), data, Input(text=found.text))
    assert keys(turn)[0] == "utter_vac_results" and not freetext.unread(data, turn)


def test_question_words_are_never_searched_for() -> None:
    assert understand("kapan batas klaim?").words == ("batas", "klaim")  # not "kapal"
    assert is_question("gmn cara daftar") and is_question("satpam?")
    assert not is_question("operator produksi bekasi")


def test_a_place_that_means_two_is_asked_then_searched() -> None:
    q = VacancyQuery(text="operator bekasi")
    kota = PlaceOption("regency", "3275", "Kota Bekasi")
    kab = PlaceOption("regency", "3216", "Kabupaten Bekasi")
    und = Understanding(words=("operator",), place="bekasi", places=(kota, kab))
    chosen = replace(q, places=(kab,))
    answers = {SearchVacancies(q, TODAY): page_of(q, (hit(1),), 1, und=und),
               SearchVacancies(chosen, TODAY): page_of(chosen, (hit(2),), 1)}  # fmt: skip
    turn = DIALOG.handle(ctx(answers), {"step": "vac_search"}, Input(text="operator bekasi"))
    assert keys(turn) == ["utter_ask_vac_place"] and turn.data["step"] == "place"
    assert payloads(turn) == [callbacks.place(q, 0), callbacks.place(q, 1)]
    picked = DIALOG.handle(ctx(answers), turn.data, Input(choice=callbacks.place(q, 1)))
    assert picked.data["q"]["places"] == [["regency", "3216", "Kabupaten Bekasi"]]


def test_filters_keep_the_text_and_stay_for_the_next_search() -> None:
    q = VacancyQuery(text="operator")
    abroad = replace(q, abroad=True)
    answers = {SearchVacancies(abroad, TODAY): page_of(abroad, (hit(1, country="KR"),), 1)}
    data = {"step": "filters", "q": query_to_data(q), "page": 0}
    turn = DIALOG.handle(ctx(answers), data, Input(choice="vf:abroad"))
    assert "utter_vac_filtered" in keys(turn) and query_from_data(turn.data["q"]) == abroad
    nxt = asked(lambda: DIALOG.handle(ctx(), turn.data, Input(text="sopir")))
    assert nxt == (SearchVacancies(VacancyQuery(text="sopir", abroad=True), TODAY),)
    cleared = asked(lambda: DIALOG.handle(ctx(), turn.data, Input(choice="vf:clear")))
    assert cleared == (SearchVacancies(q, TODAY),)


def test_bad_input_says_so_and_shows_the_screen_again() -> None:
    for inp in (Input(text="x"), Input(text="y" * 101), Input(media="sticker")):
        turn = DIALOG.handle(ctx(), {"step": "vac_search"}, inp)
        assert keys(turn)[-1] == "utter_ask_vac_search"
        assert keys(turn)[0] in ("utter_invalid_vac_search", "utter_invalid_media")
    turn = DIALOG.handle(ctx(), {"step": "vac_search"}, Input(choice="vco:3"))
    assert keys(turn) == ["utter_invalid_stale_button", "utter_ask_vac_search"]
    soon = DIALOG.handle(ctx(), {"step": "vac_search"}, Input(choice="menu:cv"))
    assert keys(soon) == ["utter_vac_soon_cv", "utter_ask_vac_search"]


def test_a_search_said_at_the_menu_is_read_back_within_64_bytes() -> None:
    said = "operator produksi di kawasan industri jababeka cikarang kabupaten bekasi"
    turn = DIALOG.handle(ctx(), {"step": "vac_search"}, Input(text=said, proposed=True))
    assert keys(turn) == ["utter_confirm_vac_search", "utter_ask_vac_search"]
    assert turn.data == {"step": "vac_search"}
    (payload,) = payloads(turn)
    assert payload.startswith("confirm:vac_search:operator produksi")
    assert len(payload.encode()) <= 64
    text = payload.removeprefix("confirm:vac_search:")
    assert asked(lambda: DIALOG.handle(ctx(), turn.data, Input(choice=payload))) == (
        SearchVacancies(VacancyQuery(text=text), TODAY),
    )


# -- for me ---------------------------------------------------------------------------------
def test_for_me_ranks_from_the_records_and_says_why() -> None:
    assessment = AssessmentRecord("2025-06-01T10:00:00+07:00", ("Kasir",), ("Tenaga Penjualan",
                                  "Kasir", "Pramuniaga"), {}, (GroupScore("52", 80),))  # fmt: skip
    registration = RegistrationRecord("Staf Administrasi", "ter_phk", "fisik", "32", "3275")
    profile, known = person_profile((assessment,), registration, NO_ONE)
    assert known and profile.groups == (("52", 80),) and profile.regency_code == "3275"
    assert profile.desired_titles == ("Staf Administrasi", "Tenaga Penjualan", "Kasir",
                                      "Pramuniaga")  # fmt: skip
    assert profile.disability
    recs = tuple(
        Recommendation(hit(n), (Reason("interest", "52", "Tenaga Penjualan"),
                                Reason("regency", "3275", "Kota Bekasi")))
        for n in range(1, 7)
    )  # fmt: skip
    answers = {AssessmentsQuery(): (assessment,), RegistrationQuery(): registration,
               ProfileQuery(): NO_ONE, RecommendVacancies(profile, TODAY, 0): recs}  # fmt: skip
    turn = DIALOG.handle(ctx(answers), {"step": "vac_search"}, Input(choice="vac:forme"))
    assert keys(turn)[:3] == ["utter_vac_forme_head", "utter_vac_hit",
                              "utter_vac_why_interest_place"]  # fmt: skip
    assert keys(turn)[-2:] == ["utter_vac_forme_next", "utter_ask_vac_forme"]
    assert keys(turn).count("utter_vac_hit") == 5
    why = turn.messages[0].parts[2]
    assert why.params == {"name": "Tenaga Penjualan", "place": "Kota Bekasi"}


def test_why_lines() -> None:
    job = Reason("desired_job", "4211", "Kasir")
    assert why_line((job, Reason("province", "32", "Jawa Barat"))) is not None
    assert why_line((job,)).key == "utter_vac_why_job"  # type: ignore[union-attr]
    assert why_line((Reason("regency", "3275", "Kota Bekasi"),)).key == "utter_vac_why_place"  # type: ignore[union-attr]
    assert why_line((Reason("new"),)).key == "utter_vac_why_new"  # type: ignore[union-attr]
    assert why_line(()) is None
    group = Reason("desired_group", "52", "Tenaga Penjualan")  # not from the assessment
    assert why_line((group,)) == Say("utter_vac_why_desired_group",
                                     {"name": "Tenaga Penjualan", "place": ""})  # fmt: skip


def test_nothing_known_still_shows_the_latest_and_says_what_helps() -> None:
    profile, known = person_profile((), None, NO_ONE)
    assert not known and profile == Profile()
    home = ProfileRecord({"personal": ({"pf_domicile": "3578"},)})
    assert person_profile((), None, home)[0].regency_code == "3578"


# -- the card and applying ------------------------------------------------------------------
def test_ago() -> None:
    assert [ago(date(2025, 6, d), TODAY) for d in (2, 1)] == ["hari ini", "kemarin"]
    assert ago(date(2025, 5, 26), TODAY) == "7 hari lalu"
    assert ago(date(2025, 5, 12), TODAY) == "3 minggu lalu"
    assert ago(date(2025, 2, 1), TODAY) == "4 bulan lalu"


def test_fit_lines_say_what_the_profile_tells_and_unknown_when_it_does_not() -> None:
    h = hit(1)
    stated = detail(h, age_max=30, education_min="SMA")
    resume = ProfileRecord({"personal": ({"pf_birth_date": "1990-08-17"},),
                            "education": ({"pf_edu_level": "smk"},)})  # fmt: skip
    home = RegistrationRecord("Kasir", "ter_phk", "none", "32", "3275")
    lines = fit_lines(stated, resume, home, TODAY)
    assert [s.key for s in lines] == ["utter_vac_fit_age_no", "utter_vac_fit_edu_ok",
                                      "utter_vac_fit_place_ok"]  # fmt: skip
    assert lines[0].params == {"age": "30", "years": "34"}
    young = ProfileRecord({"personal": ({"pf_birth_date": "2000-06-03"},),
                           "education": ({"pf_edu_level": "smp"},)})  # fmt: skip
    elsewhere = RegistrationRecord("Kasir", "ter_phk", "none", "35", "3578")
    lines = fit_lines(stated, young, elsewhere, TODAY)
    assert [s.key for s in lines] == ["utter_vac_fit_age_ok", "utter_vac_fit_edu_no",
                                      "utter_vac_fit_place_other"]  # fmt: skip
    assert lines[0].params["years"] == "24" and lines[2].params["home"] == "Kota Surabaya"
    lines = fit_lines(stated, NO_ONE, None, TODAY)
    assert [s.key for s in lines] == ["utter_vac_fit_age_unknown", "utter_vac_fit_edu_unknown",
                                      "utter_vac_fit_place_unknown"]  # fmt: skip
    assert [s.key for s in fit_lines(detail(h), NO_ONE, home, TODAY)] == ["utter_vac_fit_place_ok"]


def _card_answers(d: VacancyDetail, applied: tuple[ApplicationRecord, ...] = ()) -> dict[Any, Any]:
    resume = ProfileRecord({"personal": ({"pf_full_name": "Budi Santoso"},)})
    return {VacancyDetailQuery(d.hit.id): d, ApplicationsQuery(): applied, ProfileQuery(): resume,
            RegistrationQuery(): None}  # fmt: skip


def _application(h: VacancyHit, on: date) -> ApplicationRecord:
    at = datetime(on.year, on.month, on.day, tzinfo=UTC)
    return ApplicationRecord(1, h.source, h.source_id, h.title, h.company, h.place, at, on,
                             "sent", at)  # fmt: skip


def test_apply_records_one_application_with_the_cv_and_counts_the_month() -> None:
    h = hit(7)
    answers = _card_answers(detail(h))
    data = {"step": "card", "card": 7, "from": "results"}
    card = DIALOG.handle(ctx(answers), {"step": "results"}, Input(choice="vac:7"))
    assert keys(card)[-1] == "utter_ask_vac_card"
    assert card.messages[0].parts[-1].params == {"vacancy": "7"}
    turn = DIALOG.handle(ctx(answers), data, Input(choice="vapply:7"))
    (effect,) = turn.effects
    assert effect == RecordApplication(
        "uji", "R007", "Operator 7", "PT Maju 7", "Kota Bekasi", vacancy_id=7, via="catalogue",
        cv={"personal": {"pf_full_name": "Budi Santoso"}}, on=TODAY,
    )  # fmt: skip
    assert keys(turn) == ["utter_vac_applied", "utter_vac_month_count_calendar",
                          "utter_ask_vac_after_apply"]  # fmt: skip
    assert turn.messages[0].parts[1].params == {"done": "1", "required": "5"}


def test_the_card_says_when_the_cv_sent_would_be_empty() -> None:
    h = hit(7)
    empty = {**_card_answers(detail(h)), ProfileQuery(): NO_ONE}
    turn = DIALOG.handle(ctx(empty), {"step": "results"}, Input(choice="vac:7"))
    assert keys(turn)[-2:] == ["utter_vac_card_cv_empty", "utter_ask_vac_card"]
    full = DIALOG.handle(ctx(_card_answers(detail(h))), {"step": "results"}, Input(choice="vac:7"))
    assert "utter_vac_card_cv_empty" not in keys(full)


def test_the_month_count_is_the_benefit_month_and_counts_companies_once() -> None:
    h = hit(7, company="PT. Maju Jaya Tbk")
    earlier = (_application(hit(3, company="Maju Jaya"), date(2025, 5, 25)),
               _application(hit(4, company="CV Lain"), date(2025, 5, 21)),
               _application(hit(5, company="CV Dulu"), date(2025, 5, 19)))  # fmt: skip
    person = PersonFacts(1, "granted", benefit_start=date(2025, 4, 20))
    turn = DIALOG.handle(ctx(_card_answers(detail(h), earlier), person=person),
                         {"step": "card", "card": 7}, Input(choice="vapply:7"))  # fmt: skip
    month = turn.messages[0].parts[1]
    # month 2 runs 20 May - 19 June: CV Dulu (19 May) is month 1; Maju Jaya counts once
    assert month.key == "utter_vac_month_count"
    assert month.params == {"done": "2", "required": "5", "number": "2"}


def test_a_second_tap_says_it_was_already_sent_and_a_closed_vacancy_cannot_be_applied() -> None:
    h = hit(7)
    applied = (_application(h, date(2025, 6, 1)),)
    turn = DIALOG.handle(ctx(_card_answers(detail(h), applied)), {"step": "card", "card": 7},
                         Input(choice="vapply:7"))  # fmt: skip
    assert turn.effects == () and keys(turn)[0] == "utter_vac_already_applied"
    assert turn.messages[0].parts[0].params["date"] == "1 Juni 2025"
    closed = _card_answers(detail(h, status="closed"))
    turn = DIALOG.handle(ctx(closed), {"step": "card", "card": 7}, Input(choice="vapply:7"))
    assert turn.effects == () and keys(turn)[0] == "utter_vac_closed"
    assert "utter_vac_card_closed" in keys(turn) and "utter_ask_vac_card" not in keys(turn)
    gone = {**_card_answers(detail(h)), VacancyDetailQuery(9): None}
    turn = DIALOG.handle(ctx(gone), {"step": "vac_search"}, Input(choice="vac:9"))
    assert keys(turn) == ["utter_vac_gone", "utter_ask_vac_search"]


def test_back_from_a_card_returns_to_its_list_and_data_shows_applications() -> None:
    q = VacancyQuery(text="operator")
    data = {"step": "card", "card": 7, "from": "results", "q": query_to_data(q), "page": 0}
    assert asked(lambda: DIALOG.back(ctx(), data)) == (SearchVacancies(q, TODAY),)
    assert keys(DIALOG.back(ctx(), {"step": "vac_search"})) == [
        "utter_back_at_start", "utter_ask_vac_search"]  # fmt: skip
    h = hit(7)
    lines = DIALOG.summary(ctx({ApplicationsQuery(): (_application(h, TODAY),)}), data)
    assert lines == [("utter_data_vac_search", {"value": "operator"})]
