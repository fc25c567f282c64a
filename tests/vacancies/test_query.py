"""Understanding a typed search: words, place (ambiguous ones exposed), job titles."""

from __future__ import annotations

import pytest

from bot.vacancies.query import near_titles, place_label, places, understand


def codes(text: str) -> set[str]:
    return {p.code for p in understand(text).places}


@pytest.mark.parametrize(
    ("text", "words", "place", "jobs"),
    [
        ("operator produksi bekasi", ("operator", "produksi"), {"3275", "3216"}, {"8189"}),
        ("PT Astra", ("astra",), set(), set()),
        ("admin di jaksel", ("admin",), {"3174"}, {"4110"}),
        ("loker sopir surabaya", ("sopir",), {"3578"}, {"8322"}),
        ("opertor", ("opertor",), set(), set()),
        ("lowongan satpam jakarta timur", ("satpam",), {"3175"}, {"5414"}),
        ("Lowongan Kerja SATPAM, di Jakarta Timur!", ("satpam",), {"3175"}, {"5414"}),
        ("bekasi operator", ("operator",), {"3275", "3216"}, set()),
        ("daerah bogor satpam", ("satpam",), {"3271", "3201"}, {"5414"}),
        ("staf gudang di cikarang", ("staf", "gudang"), {"3216"}, {"9333"}),
        ("sales jabar", ("sales",), {"32"}, {"3322"}),
        ("caregiver jepang", ("caregiver",), {"JP"}, {"5322"}),
    ],
)
def test_the_issue_examples_and_friends(
    text: str, words: tuple[str, ...], place: set[str], jobs: set[str]
) -> None:
    found = understand(text)
    assert found.words == words
    assert {p.code for p in found.places} == place
    assert {code for code, _ in found.occupations} == jobs


def test_a_name_shared_by_two_places_is_exposed_for_the_dialog_to_ask() -> None:
    bekasi = understand("operator produksi bekasi")
    assert bekasi.ambiguous_place
    assert [(p.kind, p.name) for p in bekasi.places] == [
        ("regency", "Kota Bekasi"),
        ("regency", "Kabupaten Bekasi"),
    ]
    assert bekasi.place == "bekasi"
    assert {(p.kind, p.code) for p in understand("guru bengkulu").places} == {
        ("regency", "1771"),
        ("province", "17"),
    }
    assert not understand("operator produksi kab bekasi").ambiguous_place


def test_a_place_name_inside_a_job_title_stays_a_word() -> None:
    assert understand("tukang batu").places == ()
    assert understand("tukang batu").words == ("tukang", "batu")
    at_batu = understand("tukang batu di batu")
    assert (at_batu.words, codes("tukang batu di batu")) == (("tukang", "batu"), {"3579"})


def test_a_misspelt_place_is_understood_only_after_a_place_word() -> None:
    assert codes("kasir di surabya") == {"3578"}
    assert codes("satpam di jakarta timr") == {"3175"}
    assert understand("kasir surabya").places == ()
    assert understand("kasir surabya").words == ("kasir", "surabya")


def test_only_the_filler_words_go() -> None:
    assert understand("cari loker kerja yang ada di daerah tangerang").words == ()
    assert codes("cari loker kerja yang ada di daerah tangerang") == {"3671", "3603"}
    assert understand("info lowongan pekerjaan pabrik").words == ("pabrik",)


def test_abroad() -> None:
    found = understand("kerja di luar negeri")
    assert (found.abroad, found.words, found.places) == (True, (), ())
    assert not understand("operator produksi").abroad


def test_typo_names_near_job_titles() -> None:
    found = understand("opertor produksi")
    assert found.occupations == ()
    assert near_titles(found.words)[0] == ("8189", "Operator Mesin Produksi")
    assert near_titles(("zzqx",)) == ()


def test_places_function_and_labels() -> None:
    assert [p.code for p in places("Kota Bandung")] == ["3273"]
    assert places("") == ()
    assert place_label("3275", "32", None, "ID") == "Kota Bekasi"
    assert place_label(None, None, "Cikarang", "ID") == "Cikarang"
    assert place_label(None, "32", None, "ID") == "Jawa Barat"
    assert place_label(None, None, "Osaka", "JP") == "Osaka, Jepang"
    assert place_label(None, None, None, "ID") == "Indonesia"
