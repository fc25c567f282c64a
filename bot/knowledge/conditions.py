"""Reading a typed answer to "Apakah Anda penyandang disabilitas?" (UU 8/2016 Pasal 4).

``condition_of("saya tuli")`` is ``"sensory"``; two kinds named together are ``"multiple"``
(Pasal 4 ayat 2); a "rather not say" phrase wins over everything; "tidak" alone is ``"none"``.
A message that names no kind gives ``None``: the question is asked again, nothing guessed.
The words are data: bot/data/disability_terms.yml.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from nlu.interpreter import normalise

DATA = Path(__file__).resolve().parents[1] / "data" / "disability_terms.yml"
KINDS = ("physical", "intellectual", "mental", "sensory", "multiple")


@cache
def terms() -> dict[str, tuple[str, ...]]:
    with DATA.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return {
        kind: tuple(normalise(str(t)) for t in listed) for kind, listed in data["kinds"].items()
    }


def _mentions(text: str, listed: tuple[str, ...]) -> bool:
    padded = f" {text} "
    return any(f" {term} " in padded for term in listed)


def condition_of(text: str) -> str | None:
    """The kind of disability (or "none" / "undisclosed") a typed answer names, if any."""
    typed = normalise(text)
    if not typed:
        return None
    words = terms()
    if _mentions(typed, words["undisclosed"]):
        return "undisclosed"
    named = {kind for kind in KINDS if _mentions(typed, words[kind])}
    if "multiple" in named or len(named) > 1:
        return "multiple"
    if named:
        return named.pop()
    if _mentions(typed, words["none"]):
        return "none"
    return None
