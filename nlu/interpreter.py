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
MAX_REPEATED_WORDS = 4  # "iya, betul" means yes; forty times "menu" is not a message
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

    def _words(self, text: str) -> list[str]:
        """Normalised words with synonyms folded in (a synonym may be several words)."""
        return " ".join(self.synonyms.get(w, w) for w in normalise(text).split()).split()

    def fold(self, text: str) -> str:
        """The form examples are stored in: synonyms folded, polite particles dropped."""
        return " ".join(self._strip_particles(self._words(text)))

    def _strip_particles(self, words: list[str]) -> list[str]:
        """Drop particles ("kak", "dong", "ya"...) around the message, keeping at least one
        word: "ya kak" is "ya", "gatau ya kak" is "gatau", "pak menu" is "menu"."""
        kept = list(words)
        while len(kept) > 1 and kept[-1] in self.particles:
            kept.pop()
        while len(kept) > 1 and kept[0] in self.particles:
            kept.pop(0)
        return kept

    def _lookup(self, words: list[str]) -> str | None:
        folded = " ".join(words)
        if folded in self.examples:
            return self.examples[folded]
        return self.examples.get(folded.replace("/", "").replace("?", "").strip())

    def intent(self, text: str) -> str | None:
        """The intent of a short message, or None when it is not clearly one."""
        words = self._strip_particles(self._words(text))
        if found := self._lookup(words):
            return found
        # Doubled letters at a word's end ("okee", "gatauu"): try them once squeezed.
        squeezed = self._strip_particles(
            self._words(" ".join(re.sub(r"(.)\1+$", r"\1", w) for w in words))
        )
        if squeezed != words and (found := self._lookup(squeezed)):
            return found
        # Several words that each mean the same thing ("iya, betul", "gak gak").
        singles = {self._lookup([w]) for w in squeezed if w not in self.particles}
        if 1 < len(squeezed) <= MAX_REPEATED_WORDS and len(singles) == 1 and None not in singles:
            return singles.pop()
        return None


@cache
def default_interpreter() -> Interpreter:
    with NLU_PATH.open(encoding="utf-8") as f:
        return Interpreter.from_data(yaml.safe_load(f))
