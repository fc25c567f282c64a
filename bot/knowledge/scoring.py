"""The self-assessment result: the three job groups that match best, with a percentage.

How the match is computed (deterministic, documented because it is our own design —
FACTS.md §4: O*NET gives a "fit" label, not a percentage, and Kemnaker's scoring is not
public):

1. **Interest profile.** Each of the 36 inventory items (bot/data/interest_inventory.yml,
   6 per RIASEC type) is answered 1–5. A type's raw score is the sum of its six answers
   (6–30), rescaled to 0–1: ``(sum - 6) / 24``.
2. **Profile similarity.** Each job group (ISCO-08 sub-major group, bot/data/job_groups.yml)
   has a RIASEC profile on O*NET's 1–7 "OI" scale (our estimates; see that file). The
   similarity is the Pearson correlation ``r`` between the user's six scores and the group's
   six values — it compares the *shape* of the profiles, as O*NET's interest matching does —
   mapped to 0–1 as ``(r + 1) / 2``. When the user answered every type alike (no shape),
   the similarity is 0.5 for every group.
3. **Jobs.** ``desired`` = the share of the three desired jobs whose unit group lies in the
   group; ``previous`` = the same share over the 1–3 previous jobs.
4. **Blend.** ``match = 0.60 * similarity + 0.25 * desired + 0.15 * previous``, as a whole
   percentage (half up). Ties go to the lower group code. Interest dominates, so the
   inventory matters; the jobs a person had and wants move groups they name up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.knowledge.catalog import RIASEC, Catalog, JobGroup

WEIGHT_INTEREST = 0.60
WEIGHT_DESIRED = 0.25
WEIGHT_PREVIOUS = 0.15
ITEMS_PER_TYPE = 6
SCALE_MIN, SCALE_MAX = 1, 5


@dataclass(frozen=True)
class GroupMatch:
    code: str
    name: str
    explanation: str
    percent: int


def interest_scores(answers: Mapping[str, int], cat: Catalog) -> dict[str, float]:
    """Each RIASEC type's score, 0–1, from the item answers (all items must be answered)."""
    missing = [i.id for i in cat.items if i.id not in answers]
    if missing:
        raise ValueError(f"unanswered items: {missing}")
    low, span = ITEMS_PER_TYPE * SCALE_MIN, ITEMS_PER_TYPE * (SCALE_MAX - SCALE_MIN)
    sums = dict.fromkeys(RIASEC, 0)
    for item in cat.items:
        sums[item.type] += int(answers[item.id])
    return {t: (sums[t] - low) / span for t in RIASEC}


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Correlation of two equally long sequences; None when either has no variance."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    dx = [x - mx for x in xs]
    dy = [y - my for y in ys]
    sx, sy = math.sqrt(sum(d * d for d in dx)), math.sqrt(sum(d * d for d in dy))
    if sx == 0 or sy == 0:
        return None
    return sum(a * b for a, b in zip(dx, dy, strict=True)) / (sx * sy)


def similarity(scores: Mapping[str, float], group: JobGroup) -> float:
    r = pearson([scores[t] for t in RIASEC], [group.riasec[t] for t in RIASEC])
    return 0.5 if r is None else (r + 1) / 2


def _share(isco_codes: Sequence[str], group: str) -> float:
    if not isco_codes:
        return 0.0
    return sum(1 for code in isco_codes if code.startswith(group)) / len(isco_codes)


def match_groups(
    scores: Mapping[str, float],
    previous: Sequence[str],
    desired: Sequence[str],
    cat: Catalog,
    top: int = 3,
) -> list[GroupMatch]:
    """The ``top`` best-matching job groups; ``previous``/``desired`` are ISCO unit codes."""
    ranked = []
    for code, group in cat.groups.items():
        value = (
            WEIGHT_INTEREST * similarity(scores, group)
            + WEIGHT_DESIRED * _share(desired, code)
            + WEIGHT_PREVIOUS * _share(previous, code)
        )
        percent = int((Decimal(str(value)) * 100).quantize(Decimal(1), ROUND_HALF_UP))
        ranked.append((value, code, GroupMatch(code, group.name, group.explanation, percent)))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [match for _, _, match in ranked[:top]]
