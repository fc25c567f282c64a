"""The interpreter over nlu/: exact words first, then a classifier, then entities.

``Interpreter.intent(text)`` is the deterministic layer the dialogs use today: normalise
the text, fold synonyms, drop polite particles, and match an example of the navigation
words (menu, kembali, batal...) and short answers (ya, gak, gatau...) exactly. A message it
does not recognise gets ``None`` and the dialog asks again, rather than guessing.

``Interpreter.parse(text, today)`` understands free text: the same exact match over every
example (confidence 1), otherwise the intent classifier of nlu/model.py (trained at first
use, cached on disk); then the entities of nlu/entities.py. Below ``threshold`` the parse
offers its two best readings (``alternatives``) so the assistant can ask ("Maksud Anda:
Cek kelayakan / Cari lowongan?") instead of guessing. FAQ questions are Rasa retrieval
intents: the intent is ``benefit_info`` and ``faq`` names the question
(``benefit_info/duration``), whose answer is the response ``utter_benefit_info/duration``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from bot.knowledge.faq import faq_response
from nlu.data import (
    NLU_DIR,
    OPTIONS_FILE,
    NluData,
    base_intent,
    block_examples,
    load_yaml,
    option_words,
    training_paths,
)
from nlu.entities import Entity, EntityExtractor
from nlu.model import FloatArray, ModelConfig, ModelStore, default_cache_dir

NLU_PATH = NLU_DIR / "nlu.yml"
MAX_INPUT = 200
MAX_REPEATED_WORDS = 4  # "iya, betul" means yes; forty times "menu" is not a message
# Parse readings below this confidence are offered as a choice, not acted on. Chosen with
# `jkp-bot nlu evaluate`: in cross-validation 92% of right readings are above it and 55% of
# wrong ones below (one message in eight is asked about); on the held-out set, 98% of right
# readings are above it.
DEFAULT_THRESHOLD = 0.5
# ``intent()`` answers only these: the words that work from any step and the short answers
# the dialogs read. Everything else needs ``parse()``.
EXACT_INTENTS = frozenset(
    {"start", "menu", "back", "cancel", "help", "human", "stop", "resume", "my_data",
     "delete_data", "affirm", "deny", "dont_know", "enough"}
)  # fmt: skip
# Understood by ``parse()`` only: the journeys, the FAQ, small talk and what is out of scope
# (bot/core/conversation.py acts on them).
PARSE_ONLY_INTENTS = frozenset(
    {"check_eligibility", "self_assessment", "search_vacancies", "upload_evidence",
     "check_progress", "report_placement", "ask_counseling", "benefit_info", "my_applications",
     "my_profile", "greet", "thanks", "out_of_scope"}
)  # fmt: skip
RANKING_SIZE = 10


def _examples(block: str) -> list[str]:
    return block_examples(block)


PRONOUNS = frozenset({"saya", "aku", "gue", "gw"})  # (folded: "sy" is "saya")
LEADING_YES = frozenset({"iya", "ya", "betul", "benar"})


def normalise(text: str) -> str:
    """Lowercase, strip accents, punctuation and emoji, squeeze repeated letters ("iyaaa")."""
    text = unicodedata.normalize("NFKD", text[:MAX_INPUT]).lower()
    text = text.split("@", 1)[0] if text.startswith("/") else text  # /menu@jkp_bot
    text = "".join(ch for ch in text if ch.isalnum() or ch.isspace() or ch in "?/")
    text = re.sub(r"(.)\1{2,}", r"\1", text)  # iyaaa -> iya
    return " ".join(text.split())


@dataclass(frozen=True)
class Reading:
    name: str
    confidence: float


@dataclass(frozen=True)
class Parse:
    """What a message means: Rasa's parse (``text``, ``intent``, ``confidence``,
    ``ranking``, ``entities``) plus what the assistant needs to act or to ask."""

    text: str
    intent: str | None  # None: nothing to read (empty, digits, emoji)
    confidence: float
    ranking: tuple[Reading, ...]  # intents, best first (retrieval intents summed)
    entities: tuple[Entity, ...]
    faq: str | None = None  # the FAQ question ("benefit_info/duration") when intent is one
    faq_ranking: tuple[Reading, ...] = ()
    source: str = "model"  # "rule" (an exact example), "model", or "empty"
    threshold: float = DEFAULT_THRESHOLD

    @property
    def confident(self) -> bool:
        return self.intent is not None and self.confidence >= self.threshold

    @property
    def alternatives(self) -> tuple[Reading, ...]:
        """The two best readings when the best is not sure enough: ask which one."""
        if self.confident or len(self.ranking) < 2:
            return ()
        return self.ranking[:2]

    @property
    def response(self) -> str | None:
        """The response that answers this message by itself (a FAQ answer)."""
        return faq_response(self.faq) if self.faq else None

    def entity(self, name: str) -> Entity | None:
        """The first entity of that kind."""
        return next((e for e in self.entities if e.entity == name), None)

    def to_json(self) -> dict[str, Any]:
        """Rasa's parse result shape (``rasa shell nlu``), plus a ``jkp`` block."""
        out: dict[str, Any] = {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": round(self.confidence, 4)},
            "entities": [e.to_json() for e in self.entities],
            "intent_ranking": [
                {"name": r.name, "confidence": round(r.confidence, 4)} for r in self.ranking
            ],
        }
        if self.faq:
            out["response_selector"] = {
                "all_retrieval_intents": [base_intent(self.faq)],
                base_intent(self.faq): {
                    "response": {
                        "intent_response_key": self.faq,
                        "utter_action": self.response,
                        "confidence": round(self.faq_ranking[0].confidence, 4),
                    },
                    "ranking": [
                        {"intent_response_key": r.name, "confidence": round(r.confidence, 4)}
                        for r in self.faq_ranking
                    ],
                },
            }
        out["jkp"] = {
            "source": self.source,
            "confident": self.confident,
            "threshold": self.threshold,
            "alternatives": [r.name for r in self.alternatives],
        }
        return out


@dataclass(frozen=True)
class Interpreter:
    examples: dict[str, str]  # normalised example -> intent (the EXACT_INTENTS only)
    synonyms: dict[str, str]  # word -> canonical word
    particles: frozenset[str] = frozenset()  # dropped when a message has other words
    every_example: dict[str, str] = field(default_factory=dict)  # folded -> label, all
    store: ModelStore | None = field(default=None, compare=False)
    extractor: EntityExtractor = field(default_factory=EntityExtractor, compare=False)
    threshold: float = DEFAULT_THRESHOLD
    options: dict[str, frozenset[str]] = field(default_factory=dict)  # folded words → payloads

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        *more: Mapping[str, Any],
        cache_dir: Path | None = None,
        config: ModelConfig | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        options: Mapping[str, Any] | None = None,
    ) -> Interpreter:
        """From Rasa NLU documents (one file's YAML each). The classifier is trained at the
        first ``parse()`` and cached in ``cache_dir`` (None: kept in memory only).
        ``options``: the document of nlu/options.yml (words for button payloads)."""
        documents = (data, *more)
        nlu = NluData.from_yaml(documents)
        synonyms = {normalise(k): normalise(v) for k, v in nlu.synonyms.items()}
        particles = frozenset(
            normalise(word)
            for document in documents
            for item in document.get("nlu") or []
            if item.get("lookup") == "particle"
            for word in block_examples(item["examples"])
        )
        company = nlu.regexes.get("company", ())
        interpreter = cls({}, synonyms, particles, {}, None, EntityExtractor(company), threshold)
        texts, labels = [], []
        for example in nlu.examples:
            folded = interpreter.fold(example.text)
            if example.intent in EXACT_INTENTS:
                interpreter.examples.setdefault(folded, example.intent)
            interpreter.every_example.setdefault(folded, example.label)
            texts.append(interpreter.content(example.text))
            labels.append(example.label)
        if len(set(labels)) >= 2:
            store = ModelStore(texts, labels, config or ModelConfig(), cache_dir)
            object.__setattr__(interpreter, "store", store)
        words: dict[str, set[str]] = {}
        for payload, phrases in option_words(options or {}).items():
            for phrase in phrases:
                words.setdefault(interpreter.fold(phrase), set()).add(payload)
        interpreter.options.update({k: frozenset(v) for k, v in words.items()})
        return interpreter

    def _words(self, text: str) -> list[str]:
        """Normalised words with synonyms folded in (a synonym may be several words)."""
        return " ".join(self.synonyms.get(w, w) for w in normalise(text).split()).split()

    def fold(self, text: str) -> str:
        """The form examples are stored in: synonyms folded, polite particles dropped."""
        return " ".join(self._strip_particles(self._words(text)))

    def content(self, text: str) -> str:
        """What the classifier reads: the folded words without any particle ("sy mau liat
        data sy dong" and "mau liat data sy" read the same)."""
        words = self._words(text)
        return " ".join([w for w in words if w not in self.particles] or words)

    def _strip_particles(self, words: list[str]) -> list[str]:
        """Drop particles ("kak", "dong", "ya"...) around the message, keeping at least one
        word: "ya kak" is "ya", "gatau ya kak" is "gatau", "pak menu" is "menu"."""
        kept = list(words)
        while len(kept) > 1 and kept[-1] in self.particles:
            kept.pop()
        while len(kept) > 1 and kept[0] in self.particles:
            kept.pop(0)
        return kept

    @staticmethod
    def _lookup(table: Mapping[str, str], words: list[str]) -> str | None:
        folded = " ".join(words)
        if folded in table:
            return table[folded]
        return table.get(folded.replace("/", "").replace("?", "").strip())

    def _match(self, table: Mapping[str, str], text: str) -> str | None:
        words = self._strip_particles(self._words(text))
        if found := self._lookup(table, words):
            return found
        # Doubled letters at a word's end ("okee", "gatauu"): try them once squeezed.
        squeezed = self._strip_particles(
            self._words(" ".join(re.sub(r"(.)\1+$", r"\1", w) for w in words))
        )
        if squeezed != words and (found := self._lookup(table, squeezed)):
            return found
        # Several words that each mean the same thing ("iya, betul", "gak gak").
        singles = {self._lookup(table, [w]) for w in squeezed if w not in self.particles}
        if 1 < len(squeezed) <= MAX_REPEATED_WORDS and len(singles) == 1 and None not in singles:
            return singles.pop()
        return None

    def intent(self, text: str) -> str | None:
        """The intent of a short message, or None when it is not clearly one."""
        return self._match(self.examples, text)

    def option(self, text: str, offered: Iterable[str]) -> str | None:
        """The offered payload these words choose (nlu/options.yml: "diberhentikan" is
        ``reason:employer`` when that option is on screen), or None when none or several
        do. Exact after folding: a sentence around the words ("tidak kena phk") is not."""
        allowed = set(offered)
        words = self.fold(text).split()
        own = [w for w in words if w not in PRONOUNS] or words  # "sy resign" is "resign"
        tries = [words, own]
        if len(own) > 1 and own[0] in LEADING_YES:
            tries.append(own[1:])  # "iya sy wni": the answer after the "yes"
        for tried in tries:
            payloads = self.options.get(" ".join(tried), frozenset()) & allowed
            if payloads:
                return next(iter(payloads)) if len(payloads) == 1 else None
        return None

    @property
    def ready(self) -> bool:
        """Whether ``parse`` can classify without training first (see :meth:`prepare`)."""
        return self.store is None or self.store.loaded

    # -- free text --------------------------------------------------------------------
    def prepare(self) -> None:
        """Train the classifier (or read it from the cache) now rather than at the first
        message; call it at start-up, off the event loop (it may take seconds)."""
        if self.store is not None:
            self.store.get()

    def parse(self, text: str, today: date) -> Parse:
        """Intent, confidence, ranking and entities of one message (``today`` anchors
        relative dates such as "kemarin")."""
        entities = tuple(self.extractor.extract(text, today))
        if label := self._match(self.every_example, text):
            intent = base_intent(label)
            faq = label if label != intent else None
            faq_ranking = (Reading(label, 1.0),) if faq else ()
            ranking: tuple[Reading, ...] = (Reading(intent, 1.0),)
            return Parse(
                text, intent, 1.0, ranking, entities, faq, faq_ranking, "rule", self.threshold
            )
        if self.store is None or not any(ch.isalpha() for ch in self.fold(text)):
            return Parse(text, None, 0.0, (), entities, source="empty", threshold=self.threshold)
        models = self.store.get()
        content = self.content(text)
        ranking = _ranked(models.intents.labels, models.intents.probabilities(content))
        best = ranking[0]
        question: str | None = None
        questions: tuple[Reading, ...] = ()
        topics = models.topics
        if topics is not None and base_intent(topics.labels[0]) == best.name:
            questions = _ranked(topics.labels, topics.probabilities(content), 5)
            question = questions[0].name
        return Parse(
            text, best.name, best.confidence, ranking, entities, question, questions, "model",
            self.threshold,
        )  # fmt: skip


def _ranked(
    labels: Sequence[str], probabilities: FloatArray, size: int = RANKING_SIZE
) -> tuple[Reading, ...]:
    pairs = sorted(zip(labels, probabilities.tolist(), strict=True), key=lambda kv: (-kv[1], kv[0]))
    return tuple(Reading(name, p) for name, p in pairs[:size])


def _documents(paths: Iterable[Path]) -> list[dict[str, Any]]:
    return [load_yaml(path) for path in paths]


def load_interpreter(
    directory: Path = NLU_DIR,
    *,
    cache_dir: Path | None = None,
    config: ModelConfig | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Interpreter:
    """The interpreter over the training data in ``directory`` (nlu.yml and faq.yml) and
    its option words (options.yml)."""
    documents = _documents(training_paths(directory))
    first, *rest = documents
    options_path = directory / OPTIONS_FILE
    options = load_yaml(options_path) if options_path.exists() else None
    return Interpreter.from_data(
        first, *rest, cache_dir=cache_dir, config=config, threshold=threshold, options=options
    )


@cache
def shared_interpreter(cache_dir: Path | None) -> Interpreter:
    """One interpreter per cache directory in a process (the app's, the CLI's)."""
    return load_interpreter(cache_dir=cache_dir)


def default_interpreter() -> Interpreter:
    """nlu/ with the model cached in the user's cache directory."""
    return shared_interpreter(default_cache_dir())
