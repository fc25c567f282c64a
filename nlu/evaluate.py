"""How well the interpreter understands: `jkp-bot nlu evaluate`.

- **Cross-validation** on the training data (stratified k folds): each fold's examples are
  classified by a model trained on the other folds only. Scored by intent (retrieval
  intents collapsed into ``benefit_info``), and FAQ topics apart.
- **Held-out**: tests/nlu/heldout.yml, written apart from the training data, read by the
  whole interpreter (exact layer, classifier trained on all of nlu/, entities), which never
  saw those sentences.
- A confusion report (which intent is taken for which), the worst examples (wrong with the
  most confidence), entity precision and recall on the annotated examples, and the share
  of right and wrong readings above the confidence threshold.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from nlu.data import Example, NluData, base_intent
from nlu.interpreter import Interpreter, Parse
from nlu.model import ModelConfig, sklearn_pipeline, train

ENTITY_TYPES = ("job", "place", "company", "date", "amount")


@dataclass(frozen=True)
class Outcome:
    text: str
    expected: str  # label ("benefit_info/duration" or "affirm")
    predicted: str | None
    confidence: float

    @property
    def right(self) -> bool:
        return self.predicted is not None and base_intent(self.expected) == base_intent(
            self.predicted
        )


@dataclass
class Scores:
    outcomes: list[Outcome]
    entity_counts: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return sum(o.right for o in self.outcomes) / max(1, len(self.outcomes))

    def per_intent(self) -> dict[str, tuple[float, float, float, int]]:
        """intent → (precision, recall, F1, support)."""
        gold = Counter(base_intent(o.expected) for o in self.outcomes)
        guessed = Counter(base_intent(o.predicted) for o in self.outcomes if o.predicted)
        hits = Counter(base_intent(o.expected) for o in self.outcomes if o.right)
        out = {}
        for intent in sorted(gold):
            p = hits[intent] / guessed[intent] if guessed[intent] else 0.0
            r = hits[intent] / gold[intent]
            f = 2 * p * r / (p + r) if p + r else 0.0
            out[intent] = (p, r, f, gold[intent])
        return out

    @property
    def macro_f1(self) -> float:
        scores = self.per_intent()
        return sum(f for _, _, f, _ in scores.values()) / max(1, len(scores))

    @property
    def faq_accuracy(self) -> float:
        """Of the FAQ questions, the share answered with the right topic."""
        faq = [o for o in self.outcomes if "/" in o.expected]
        return sum(o.expected == o.predicted for o in faq) / max(1, len(faq))

    def confusions(self, top: int = 12) -> list[tuple[str, str, int]]:
        pairs = Counter(
            (base_intent(o.expected), base_intent(o.predicted or "None"))
            for o in self.outcomes
            if not o.right
        )
        return [(a, b, n) for (a, b), n in pairs.most_common(top)]

    def worst(self, top: int = 15) -> list[Outcome]:
        wrong = [o for o in self.outcomes if not o.right]
        return sorted(wrong, key=lambda o: -o.confidence)[:top]

    def threshold_report(self, threshold: float) -> tuple[float, float]:
        """(share of right readings at or above, share of wrong readings below)."""
        right = [o for o in self.outcomes if o.right]
        wrong = [o for o in self.outcomes if not o.right]
        above = sum(o.confidence >= threshold for o in right) / max(1, len(right))
        below = sum(o.confidence < threshold for o in wrong) / max(1, len(wrong))
        return above, below

    def entity_scores(self) -> dict[str, tuple[float, float, int]]:
        """entity → (precision, recall, annotated)."""
        out = {}
        for kind, c in sorted(self.entity_counts.items()):
            found, annotated, hit = c["found"], c["annotated"], c["hit"]
            out[kind] = (hit / found if found else 1.0, hit / annotated if annotated else 1.0,
                         annotated)  # fmt: skip
        return out


def cross_validate(
    interpreter: Interpreter, data: NluData, config: ModelConfig, folds: int = 5, seed: int = 0
) -> Scores:
    """Stratified k-fold: every example classified by models (intent, then FAQ topic) that
    never saw it."""
    from sklearn.model_selection import StratifiedKFold

    texts = [interpreter.content(e.text) for e in data.examples]
    labels = [e.label for e in data.examples]
    outcomes: list[Outcome | None] = [None] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(texts, labels):
        models = train([texts[i] for i in train_index], [labels[i] for i in train_index], config)
        for i in test_index:
            probabilities = models.intents.probabilities(texts[i])
            best = int(probabilities.argmax())
            predicted = models.intents.labels[best]
            topics = models.topics
            if topics is not None and base_intent(topics.labels[0]) == predicted:
                predicted = topics.labels[int(topics.probabilities(texts[i]).argmax())]
            confidence = float(probabilities[best])
            outcomes[i] = Outcome(data.examples[i].text, labels[i], predicted, confidence)
    return Scores([o for o in outcomes if o is not None])


# What `jkp-bot nlu evaluate --compare` measures against the chosen model (the first).
CANDIDATES: dict[str, ModelConfig] = {
    "logistic regression, C=20, char 1-4 + words (chosen)": ModelConfig(),
    "  same, classes balanced": ModelConfig(class_weight="balanced"),
    "  same, C=5": ModelConfig(c=5.0),
    "  same, char 2-5 + words": ModelConfig(char_min=2, char_max=5),
    "  same, char 3-5 + words": ModelConfig(char_min=3, char_max=5),
    "  same, words only": ModelConfig(char_min=1, char_max=0),
    "  same, no word pairs": ModelConfig(word_ngrams=1),
    "linear SVM, C=1": ModelConfig(classifier="linear_svm", c=1.0),
    "SGD, log loss": ModelConfig(classifier="sgd"),
    "complement naive Bayes": ModelConfig(classifier="complement_nb"),
}


@dataclass(frozen=True)
class Comparison:
    name: str
    accuracy: float
    macro_f1: float
    faq_accuracy: float
    seconds: float  # cross-validation, all folds


def compare(
    interpreter: Interpreter,
    data: NluData,
    candidates: dict[str, ModelConfig] | None = None,
    folds: int = 5,
    *,
    one_stage: bool = True,
) -> list[Comparison]:
    """Cross-validate each candidate (both stages, scikit-learn's own predict), and the
    chosen features as one stage over intents and FAQ questions together."""
    from sklearn.model_selection import StratifiedKFold

    texts = [interpreter.content(e.text) for e in data.examples]
    labels = [e.label for e in data.examples]
    splits = list(
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(texts, labels)
    )
    rows = []
    runs = [(name, config, 2) for name, config in (candidates or CANDIDATES).items()]
    if one_stage:
        runs.append(("  one stage: FAQ questions as 29 more intents", ModelConfig(), 1))
    for name, config, stages in runs:
        started = time.perf_counter()
        predicted: list[str] = [""] * len(texts)
        for train_index, test_index in splits:
            train_texts = [texts[i] for i in train_index]
            train_labels = [labels[i] for i in train_index]
            test_texts = [texts[i] for i in test_index]
            if stages == 1:
                one = sklearn_pipeline(config).fit(train_texts, train_labels)
                guesses = [str(g) for g in one.predict(test_texts)]
            else:
                intents = sklearn_pipeline(config).fit(
                    train_texts, [base_intent(label) for label in train_labels]
                )
                faq = [
                    (t, lb) for t, lb in zip(train_texts, train_labels, strict=True) if "/" in lb
                ]
                topics = sklearn_pipeline(config).fit([t for t, _ in faq], [lb for _, lb in faq])
                guesses = [str(g) for g in intents.predict(test_texts)]
                for k, text in enumerate(test_texts):
                    if guesses[k] == "benefit_info":
                        guesses[k] = str(topics.predict([text])[0])
            for i, guess in zip(test_index, guesses, strict=True):
                predicted[i] = guess
        scores = Scores(
            [
                Outcome(e.text, e.label, p, 1.0)
                for e, p in zip(data.examples, predicted, strict=True)
            ]
        )
        rows.append(
            Comparison(
                name,
                scores.accuracy,
                scores.macro_f1,
                scores.faq_accuracy,
                time.perf_counter() - started,
            )
        )
    return rows


def render_comparison(rows: Sequence[Comparison], folds: int) -> str:
    lines = [f"== {folds}-fold cross-validation of the alternatives (accuracy, macro-F1, FAQ "
             "topic accuracy, seconds for all folds)"]  # fmt: skip
    width = max(len(r.name) for r in rows)
    lines.extend(
        f"  {r.name:{width}s}  {r.accuracy:.3f}  {r.macro_f1:.3f}  {r.faq_accuracy:.3f}  "
        f"{r.seconds:5.1f}"
        for r in rows
    )
    return "\n".join(lines)


def _label(parse: Parse) -> str | None:
    return parse.faq or parse.intent


def score_examples(
    interpreter: Interpreter, examples: Sequence[Example], today: date
) -> tuple[Scores, list[Parse]]:
    """Run the whole interpreter on examples and score intents and entities."""
    outcomes, parses = [], []
    counts: dict[str, Counter[str]] = {k: Counter() for k in ENTITY_TYPES}
    for example in examples:
        parse = interpreter.parse(example.text, today)
        parses.append(parse)
        outcomes.append(Outcome(example.text, example.label, _label(parse), parse.confidence))
        gold = [a for a in example.entities if a.entity in counts]
        found = [e for e in parse.entities if e.entity in counts]
        for annotation in gold:
            counts[annotation.entity]["annotated"] += 1
        for entity in found:
            counts[entity.entity]["found"] += 1
            if any(
                a.entity == entity.entity and a.start < entity.end and entity.start < a.end
                for a in gold
            ):
                counts[entity.entity]["hit"] += 1
    return Scores(outcomes, counts), parses


@dataclass
class Evaluation:
    cv: Scores
    heldout: Scores | None
    training: Scores  # the training examples through the whole interpreter (entities)
    threshold: float
    seconds: dict[str, float]
    folds: int
    heldout_name: str = "tests/nlu/heldout.yml"

    def to_json(self) -> dict[str, Any]:
        def block(s: Scores) -> dict[str, Any]:
            above, below = s.threshold_report(self.threshold)
            return {
                "examples": len(s.outcomes),
                "accuracy": round(s.accuracy, 4),
                "macro_f1": round(s.macro_f1, 4),
                "faq_accuracy": round(s.faq_accuracy, 4),
                "right_above_threshold": round(above, 4),
                "wrong_below_threshold": round(below, 4),
                "per_intent": {
                    k: {
                        "precision": round(p, 3),
                        "recall": round(r, 3),
                        "f1": round(f, 3),
                        "support": n,
                    }
                    for k, (p, r, f, n) in s.per_intent().items()
                },
                "confusions": [
                    {"expected": a, "predicted": b, "count": n} for a, b, n in s.confusions()
                ],
                "worst": [
                    {
                        "text": o.text,
                        "expected": o.expected,
                        "predicted": o.predicted,
                        "confidence": round(o.confidence, 3),
                    }
                    for o in s.worst()
                ],
                "entities": {
                    k: {"precision": round(p, 3), "recall": round(r, 3), "annotated": n}
                    for k, (p, r, n) in s.entity_scores().items()
                },
            }

        return {
            "threshold": self.threshold,
            "folds": self.folds,
            "cross_validation": block(self.cv),
            "heldout": block(self.heldout) if self.heldout else None,
            "training_entities": block(self.training)["entities"],
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def evaluate(
    interpreter: Interpreter,
    data: NluData,
    heldout: NluData | None,
    today: date,
    *,
    config: ModelConfig | None = None,
    folds: int = 5,
    heldout_name: str = "tests/nlu/heldout.yml",
) -> Evaluation:
    config = config or (interpreter.store.config if interpreter.store else ModelConfig())
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    cv = cross_validate(interpreter, data, config, folds)
    seconds["cross_validation"] = time.perf_counter() - started
    started = time.perf_counter()
    interpreter.prepare()
    seconds["training"] = time.perf_counter() - started
    training, _ = score_examples(interpreter, data.examples, today)
    held = score_examples(interpreter, heldout.examples, today)[0] if heldout else None
    return Evaluation(cv, held, training, interpreter.threshold, seconds, folds, heldout_name)


def render(evaluation: Evaluation) -> str:
    """The report as text."""
    lines: list[str] = []
    data = evaluation.to_json()
    titles = {
        "cross_validation": f"{evaluation.folds}-fold cross-validation on nlu/ (each example "
        "classified by models that never saw it)",
        "heldout": f"held-out set ({evaluation.heldout_name}), whole interpreter",
    }
    for name, title in titles.items():
        block = data.get(name)
        if not block:
            lines.append(f"== {title}: not found\n")
            continue
        lines.append(f"== {title}")
        lines.append(
            f"examples {block['examples']}  accuracy {block['accuracy']:.3f}  "
            f"macro-F1 {block['macro_f1']:.3f}  FAQ topic accuracy {block['faq_accuracy']:.3f}"
        )
        lines.append(
            f"threshold {evaluation.threshold}: {block['right_above_threshold']:.0%} of right "
            f"readings above it, {block['wrong_below_threshold']:.0%} of wrong ones below"
        )
        lines.append("per intent (precision recall F1 support):")
        for intent, s in block["per_intent"].items():
            flag = "  <" if s["f1"] < 0.9 else ""
            lines.append(
                f"  {intent:20s} {s['precision']:.2f} {s['recall']:.2f} {s['f1']:.2f} "
                f"{s['support']:4d}{flag}"
            )
        if block["confusions"]:
            lines.append("confusions (expected -> predicted: count):")
            lines.extend(
                f"  {c['expected']} -> {c['predicted']}: {c['count']}" for c in block["confusions"]
            )
        if block["worst"]:
            lines.append("worst examples (wrong, most confident first):")
            lines.extend(
                f"  {w['confidence']:.2f} {w['text']!r}: {w['expected']} -> {w['predicted']}"
                for w in block["worst"]
            )
        if name == "heldout":
            lines.append("entities (precision recall annotated):")
            lines.extend(
                f"  {k:8s} {s['precision']:.2f} {s['recall']:.2f} {s['annotated']}"
                for k, s in block["entities"].items()
            )
        lines.append("")
    lines.append("entities on the training examples (precision recall annotated):")
    lines.extend(
        f"  {k:8s} {s['precision']:.2f} {s['recall']:.2f} {s['annotated']}"
        for k, s in data["training_entities"].items()
    )
    lines.append("seconds: " + ", ".join(f"{k} {v}" for k, v in data["seconds"].items()))
    return "\n".join(lines)
