"""The intent classifier: TF-IDF over character and word n-grams, then a multinomial
logistic regression (scikit-learn), trained from nlu/ at first use and cached on disk.

scikit-learn only trains. What is cached, and what classifies a message, is the fitted
model written out as plain arrays (vocabulary, idf, weights): a message is scored with a
dictionary lookup per n-gram and one small matrix product, in well under a millisecond,
and the cache file is ``.npz`` read with ``allow_pickle=False`` (a cache directory can
never make the bot run code). ``tests/nlu`` checks that these scores equal scikit-learn's
``predict_proba``.

The cache file's name is a hash of everything training depends on (the examples after
synonyms and particles are folded, the settings below, this file, the versions of Python,
NumPy and scikit-learn), so a change to any of them trains again. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import platform
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlu.data import base_intent

log = logging.getLogger(__name__)

MODEL_FORMAT = 1  # bump when the cached arrays change meaning
CACHE_PREFIX = "nlu-model-"
_DIGITS = re.compile(r"\d+")

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ModelConfig:
    """What the classifier is made of (chosen by ``jkp-bot nlu evaluate --compare``)."""

    char_min: int = 1
    char_max: int = 4
    word_ngrams: int = 2  # words and word pairs
    sublinear_tf: bool = True
    c: float = 20.0  # inverse regularisation of the logistic regression
    class_weight: str | None = None  # "balanced" measured worse (README)
    solver: str = "newton-cg"  # the same optimum as lbfgs here, in a tenth of the time
    # What `jkp-bot nlu evaluate --compare` also measures: "linear_svm", "sgd",
    # "complement_nb" (only a logistic regression gives the probabilities parse reports).
    classifier: str = "logreg"


def analyze(text: str, config: ModelConfig) -> list[str]:
    """The n-grams of a folded message: words, word pairs, and character n-grams within
    words (padded with a space, like scikit-learn's ``char_wb``). Digits become "0"."""
    words = _DIGITS.sub("0", text.replace("?", " ? ")).split()
    grams = ["w:" + w for w in words]
    if config.word_ngrams >= 2:
        grams.extend(f"b:{a} {b}" for a, b in itertools.pairwise(words))
    low, high = config.char_min, config.char_max
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


@dataclass
class LinearModel:
    """A fitted TF-IDF + linear classifier, as arrays."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: FloatArray  # (features,)
    weights: FloatArray  # (features, labels): a row per n-gram, so a message gathers rows
    bias: FloatArray  # (labels,)
    config: ModelConfig

    def features(self, text: str) -> tuple[list[int], FloatArray]:
        counts = Counter(analyze(text, self.config))
        index: list[int] = []
        values: list[float] = []
        for gram, count in counts.items():
            j = self.vocabulary.get(gram)
            if j is not None:
                index.append(j)
                tf = 1.0 + math.log(count) if self.config.sublinear_tf else float(count)
                values.append(tf * float(self.idf[j]))
        vector = np.asarray(values, dtype=np.float32)
        norm = float(np.sqrt(vector @ vector)) if values else 0.0
        if norm > 0:
            vector /= norm
        return index, vector

    def probabilities(self, text: str) -> FloatArray:
        """P(label | text), in the order of ``labels``."""
        index, vector = self.features(text)
        scores = self.bias + vector @ self.weights[index] if index else self.bias.copy()
        scores = scores - scores.max()
        exp = np.exp(scores)
        result: FloatArray = exp / exp.sum()
        return result

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays and the vocabulary (an estimate for the README)."""
        import sys

        vocabulary = sys.getsizeof(self.vocabulary) + sum(
            sys.getsizeof(k) + 28 for k in self.vocabulary
        )
        return int(self.idf.nbytes + self.weights.nbytes + self.bias.nbytes + vocabulary)

    def arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        terms = np.array(sorted(self.vocabulary, key=self.vocabulary.__getitem__))
        return {
            f"{prefix}labels": np.array(self.labels),
            f"{prefix}terms": terms,
            f"{prefix}idf": self.idf,
            f"{prefix}weights": self.weights,
            f"{prefix}bias": self.bias,
        }

    @classmethod
    def from_arrays(cls, data: Any, prefix: str, config: ModelConfig) -> LinearModel:
        terms = [str(t) for t in data[f"{prefix}terms"]]
        return cls(
            labels=tuple(str(label) for label in data[f"{prefix}labels"]),
            vocabulary={t: i for i, t in enumerate(terms)},
            idf=data[f"{prefix}idf"].astype(np.float32),
            weights=data[f"{prefix}weights"].astype(np.float32),
            bias=data[f"{prefix}bias"].astype(np.float32),
            config=config,
        )


@dataclass
class Models:
    """Two stages, as Rasa does it: the intent (FAQ questions all count as their retrieval
    intent, ``benefit_info``), then, for a FAQ question, which one (``topics``). One
    classifier over every intent and every question would add up thirty small FAQ
    probabilities and take any uncertain message for a question."""

    intents: LinearModel
    topics: LinearModel | None  # labels "benefit_info/duration"...

    @property
    def nbytes(self) -> int:
        return self.intents.nbytes + (self.topics.nbytes if self.topics else 0)

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees half a file."""
        arrays: dict[str, Any] = self.intents.arrays("intent_")
        if self.topics is not None:
            arrays.update(self.topics.arrays("topic_"))
        meta = json.dumps({"format": MODEL_FORMAT, "config": asdict(self.intents.config)})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                arrays["meta"] = np.array(meta)
                np.savez(f, **arrays)  # str and float arrays: nothing is pickled
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Models:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != MODEL_FORMAT:
                raise ValueError(f"{path}: model format {meta.get('format')}")
            config = ModelConfig(**meta["config"])
            intents = LinearModel.from_arrays(data, "intent_", config)
            topics = (
                LinearModel.from_arrays(data, "topic_", config)
                if "topic_labels" in data.files
                else None
            )
        return cls(intents, topics)


# -- training -----------------------------------------------------------------------------
def sklearn_pipeline(config: ModelConfig) -> Any:
    """The scikit-learn estimator the arrays come from (also used by ``evaluate``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(
        analyzer=lambda text: analyze(text, config),
        sublinear_tf=config.sublinear_tf,
        dtype=np.float32,
    )
    classifier: Any
    if config.classifier == "linear_svm":
        classifier = LinearSVC(C=config.c, class_weight=config.class_weight)
    elif config.classifier == "sgd":
        classifier = SGDClassifier(
            loss="log_loss", alpha=1e-5, class_weight=config.class_weight, random_state=0
        )
    elif config.classifier == "complement_nb":
        classifier = ComplementNB(alpha=0.3)
    else:
        classifier = LogisticRegression(
            C=config.c, solver=config.solver, max_iter=500, class_weight=config.class_weight
        )
    return make_pipeline(vectorizer, classifier)


def to_arrays(pipeline: Any, config: ModelConfig) -> LinearModel:
    vectorizer, classifier = pipeline[0], pipeline[-1]
    vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
    coef = np.asarray(classifier.coef_, dtype=np.float32)
    bias = np.asarray(classifier.intercept_, dtype=np.float32)
    labels = tuple(str(label) for label in classifier.classes_)
    if len(labels) == 2:  # a binary model keeps one row: make it a softmax over two
        coef = np.vstack([-coef / 2, coef / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
    return LinearModel(
        labels=labels,
        vocabulary=vocabulary,
        idf=np.asarray(vectorizer.idf_, dtype=np.float32),
        weights=np.ascontiguousarray(coef.T),
        bias=bias,
        config=config,
    )


def _fit(texts: Sequence[str], labels: Sequence[str], config: ModelConfig) -> LinearModel:
    pipeline = sklearn_pipeline(config)
    pipeline.fit(list(texts), list(labels))
    return to_arrays(pipeline, config)


def train(texts: Sequence[str], labels: Sequence[str], config: ModelConfig) -> Models:
    """Fit both stages on folded texts and their labels ("affirm", "benefit_info/age")."""
    intents = _fit(texts, [base_intent(label) for label in labels], config)
    faq = [(t, label) for t, label in zip(texts, labels, strict=True) if "/" in label]
    topics = None
    if len({label for _, label in faq}) >= 2:
        topics = _fit([t for t, _ in faq], [label for _, label in faq], config)
    return Models(intents, topics)


def fingerprint(texts: Sequence[str], labels: Sequence[str], config: ModelConfig) -> str:
    """What the cached model depends on: the training pairs, the settings, the versions,
    and this file (the n-grams are made here). Reading the cache never imports
    scikit-learn: its version comes from the installed package's metadata."""
    digest = hashlib.sha256()
    payload = {
        "format": MODEL_FORMAT,
        "code": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "config": asdict(config),
        "versions": [platform.python_version(), np.__version__, version("scikit-learn")],
        "data": sorted(zip(labels, texts, strict=True)),
    }
    digest.update(json.dumps(payload, ensure_ascii=False).encode())
    return digest.hexdigest()[:24]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pendamping-jkp`` (or ``~/.cache/pendamping-jkp``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pendamping-jkp"


def resolve_cache_dir(setting: str) -> Path | None:
    """``NLU_CACHE_DIR`` as a path: "" is :func:`default_cache_dir`, "none" is no cache."""
    if not setting:
        return default_cache_dir()
    if setting.lower() in ("none", "off", "-"):
        return None
    return Path(setting).expanduser()


@dataclass(frozen=True)
class TrainingReport:
    source: str  # "cache" | "trained"
    seconds: float
    path: Path | None  # the cache file, when one was read or written


class ModelStore:
    """Train once, lazily, and share: the first caller trains (or reads the cache), the
    others wait on the lock and reuse the model."""

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        config: ModelConfig,
        cache_dir: Path | None,
    ) -> None:
        self.texts = list(texts)
        self.labels = list(labels)
        self.config = config
        self.cache_dir = cache_dir
        self.report: TrainingReport | None = None
        self._model: Models | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def get(self) -> Models:
        model = self._model
        if model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load_or_train()
                model = self._model
        return model

    def _load_or_train(self) -> Models:
        started = time.perf_counter()
        path = self._path()
        if path is not None and path.is_file():
            try:
                model = Models.load(path)
            except (OSError, ValueError, KeyError, TypeError) as e:
                log.warning("nlu: ignoring the unreadable cached model %s (%s)", path, e)
            else:
                self.report = TrainingReport("cache", time.perf_counter() - started, path)
                return model
        model = train(self.texts, self.labels, self.config)
        written = self._write(model, path)
        self.report = TrainingReport("trained", time.perf_counter() - started, written)
        log.info("nlu: trained the intent classifier in %.1f s", self.report.seconds)
        return model

    def _path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        key = fingerprint(self.texts, self.labels, self.config)
        return self.cache_dir / f"{CACHE_PREFIX}{key}.npz"

    def _write(self, model: Models, path: Path | None) -> Path | None:
        if path is None:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
        except OSError as e:
            log.warning("nlu: cannot cache the model in %s (%s); kept in memory", path.parent, e)
            return None
        for stale in path.parent.glob(f"{CACHE_PREFIX}*.npz"):
            if stale != path:
                stale.unlink(missing_ok=True)
        return path
