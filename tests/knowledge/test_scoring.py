"""Assessment scoring with hand-computed expectations (method: bot/knowledge/scoring.py)."""

from __future__ import annotations

import math

import pytest

from bot.knowledge.catalog import RIASEC, Catalog, JobGroup, catalog
from bot.knowledge.scoring import interest_scores, match_groups, pearson, similarity

CAT = catalog()


def answers_by_type(**values: int) -> dict[str, int]:
    """Every item of a type answered with the given value (others 1)."""
    return {item.id: values.get(item.type, 1) for item in CAT.items}


def test_interest_scores_rescale_sums() -> None:
    scores = interest_scores(answers_by_type(R=5, I=3, A=1, S=2, E=4, C=5), CAT)
    # (6*v - 6) / 24 for each type
    assert scores == {"R": 1.0, "I": 0.5, "A": 0.0, "S": 0.25, "E": 0.75, "C": 1.0}


def test_all_items_must_be_answered() -> None:
    partial = answers_by_type(R=5)
    partial.pop(CAT.items[7].id)
    with pytest.raises(ValueError, match="unanswered"):
        interest_scores(partial, CAT)


def test_pearson_by_hand() -> None:
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # x = (1,0,0,0,0,0): mean 1/6; y = (7,1,1,1,1,1): mean 2. cov = 5/6*5 = 25/6 ...
    r = pearson([1, 0, 0, 0, 0, 0], [7, 1, 1, 1, 1, 1])
    assert r == pytest.approx(1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None


def test_similarity_of_flat_answers_is_neutral() -> None:
    flat = dict.fromkeys(RIASEC, 0.5)
    assert similarity(flat, CAT.groups["72"]) == 0.5


def test_hand_computed_percentage() -> None:
    group = JobGroup("99", "Uji", "", {"R": 7, "I": 1, "A": 1, "S": 1, "E": 1, "C": 1})
    other = JobGroup("98", "Lain", "", {"R": 1, "I": 1, "A": 1, "S": 7, "E": 1, "C": 1})
    tiny = Catalog((), {"99": group, "98": other}, CAT.items, CAT.scale, (), (), ())
    scores = interest_scores(answers_by_type(R=5), CAT)  # R=1, others 0: r = 1 with "99"
    # r(99) = 1 → similarity 1.0; r(98) = -0.2 → similarity 0.4
    # previous = ["9911"] (in 99), desired = ["9911", "9811", "9812"]: 1/3 in 99, 2/3 in 98
    top = match_groups(scores, ["9911"], ["9911", "9811", "9812"], tiny)
    r98 = -0.2
    assert pearson([1, 0, 0, 0, 0, 0], [1, 1, 1, 7, 1, 1]) == pytest.approx(r98)
    expected_99 = round(100 * (0.60 * 1.0 + 0.25 * (1 / 3) + 0.15 * 1.0))  # 83.33 → 83
    expected_98 = math.floor(100 * (0.60 * (r98 + 1) / 2 + 0.25 * (2 / 3)) + 0.5)  # 40.67 → 41
    assert [(g.code, g.percent) for g in top] == [("99", expected_99), ("98", expected_98)]


def test_purely_realistic_profile_ranks_manual_work_first() -> None:
    """Pure R: every top group is an R-peaked group of manual work (major groups 6–9), and
    every craft (7x) and machine-operator (8x) group ranks above every group whose
    strongest interest is not R."""
    ranked = match_groups(interest_scores(answers_by_type(R=5), CAT), [], [], CAT, top=43)
    codes = [g.code for g in ranked]
    assert all(code[0] in "6789" for code in codes[:3])
    r_peaked = {c for c, g in CAT.groups.items() if max(g.riasec, key=g.riasec.__getitem__) == "R"}
    first_non_r = min(codes.index(c) for c in codes if c not in r_peaked)
    craft_and_operators = [c for c in codes if c[0] in "78"]
    assert all(codes.index(c) < first_non_r for c in craft_and_operators)


def test_realistic_worker_with_factory_jobs_gets_craft_and_operator_groups() -> None:
    scores = interest_scores(answers_by_type(R=5, C=3), CAT)
    isco = {o.title: o.isco for o in CAT.occupations}
    previous = [isco["Operator Mesin Produksi"]]
    desired = [isco["Tukang Las"], isco["Operator Forklift"], isco["Operator Mesin Produksi"]]
    top = match_groups(scores, previous, desired, CAT)
    assert {g.code[0] for g in top} <= {"7", "8"}
    assert top[0].code == "81"  # previous and desired, both


@pytest.mark.parametrize(
    ("peak", "expected_top"),
    [("S", {"22", "23", "32", "53", "34", "26", "24"}), ("C", {"41", "43", "44", "33", "42"}),
     ("I", {"21", "22", "25", "31", "32"}), ("E", {"11", "12", "14", "13", "52", "24", "33"})],
)  # fmt: skip
def test_each_peak_leads_to_groups_of_that_kind(peak: str, expected_top: set[str]) -> None:
    top = match_groups(interest_scores(answers_by_type(**{peak: 5}), CAT), [], [], CAT)
    assert top[0].code in expected_top, [(g.code, g.name, g.percent) for g in top]


def test_deterministic_and_tie_broken_by_code() -> None:
    flat = dict.fromkeys(RIASEC, 0.5)
    first = match_groups(flat, [], [], CAT)
    assert first == match_groups(flat, [], [], CAT)
    assert [g.code for g in first] == ["01", "02", "03"]  # all 50%: lowest codes
    assert {g.percent for g in first} == {30}
