"""A small interpreter over nlu.yml: normalise the text, fold synonyms, match an example.

It recognises the navigation words (menu, kembali, batal...) and short answers (ya, gak,
gatau...). It is deliberately exact: a message it does not recognise gets intent ``None``
and the dialog asks again, rather than guessing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

NLU_PATH = Path(__file__).with_name("nlu.yml")
MAX_INPUT = 200
_EXAMPLE_LINE = re.compile(r"^\s*-\s?(.*)$")


def _examples(block: str) -> list[str]:
    return [m.group(1).strip() for line in block.splitlines() if (m := _EXAMPLE_LINE.match(line))]


def normalise(text: str) -> str:
    """Lowercase, strip accents, punctuation and emoji, squeeze repeated letters ("iyaaa")."""
    text = unicodedata.normalize("NFKD", text[:MAX_INPUT]).lower()
    text = text.split("@", 1)[0] if text.startswith("/") else text  # /menu@jkp_bot
    text = "".join(ch for ch in text if ch.isalnum() or ch.isspace() or ch in "?/")
    text = re.sub(r"(.)\1{2,}", r"\1", text)  # iyaaa -> iya
    return " ".join(text.split())


@dataclass(frozen=True)
class Interpreter:
    examples: dict[str, str]  # normalised example -> intent
    synonyms: dict[str, str]  # word -> canonical word
    particles: frozenset[str] = frozenset()  # dropped when a message has other words

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Interpreter:
        synonyms: dict[str, str] = {}
        for item in data.get("nlu") or []:
            if "synonym" in item:
                for word in _examples(item["examples"]):
                    synonyms[normalise(word)] = normalise(item["synonym"])
        particles = frozenset(
            normalise(word)
            for item in data.get("nlu") or []
            if item.get("lookup") == "particle"
            for word in _examples(item["examples"])
        )
        interpreter = cls({}, synonyms, particles)
        for item in data.get("nlu") or []:
            if "intent" in item:
                for example in _examples(item["examples"]):
                    interpreter.examples.setdefault(interpreter.fold(example), item["intent"])
        return interpreter

    def fold(self, text: str) -> str:
        words = normalise(text).split()
        kept = [w for w in words if w not in self.particles] or words
        return " ".join(self.synonyms.get(w, w) for w in kept)

    def intent(self, text: str) -> str | None:
        folded = self.fold(text)
        if folded in self.examples:
            return self.examples[folded]
        bare = folded.replace("/", "").replace("?", "").strip()
        return self.examples.get(bare)


@cache
def default_interpreter() -> Interpreter:
    with NLU_PATH.open(encoding="utf-8") as f:
        return Interpreter.from_data(yaml.safe_load(f))
