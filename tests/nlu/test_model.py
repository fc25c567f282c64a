"""The classifier: arrays that score exactly as scikit-learn does, trained once, cached on
disk under a hash of what it was trained from, and never loaded as a pickle."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlu.data import HELDOUT_PATH, NluData, load_training, load_yaml
from nlu.interpreter import Interpreter
from nlu.model import (
    CACHE_PREFIX,
    ModelConfig,
    Models,
    ModelStore,
    fingerprint,
    resolve_cache_dir,
    sklearn_pipeline,
    to_arrays,
)

SMALL = (
    ["ya betul", "iya boleh", "oke siap", "tidak mau", "bukan itu", "nggak pernah",
     "jkp berapa bulan", "berapa lama jkp dibayar"],
    ["affirm", "affirm", "affirm", "deny", "deny", "deny",
     "benefit_info/duration", "benefit_info/duration"],
)  # fmt: skip
SMALL_FAQ = (
    [*SMALL[0], "kapan batas klaim", "klaim paling lambat kapan"],
    [*SMALL[1], "benefit_info/deadline", "benefit_info/deadline"],
)


def test_arrays_score_as_scikit_learn_does(trained: Interpreter) -> None:
    data, _ = load_training()
    texts = [trained.content(e.text) for e in data.examples]
    config = ModelConfig()
    pipeline = sklearn_pipeline(config)
    pipeline.fit(texts, [e.intent for e in data.examples])
    model = to_arrays(pipeline, config)
    heldout = [
        trained.content(e.text) for e in NluData.from_yaml([load_yaml(HELDOUT_PATH)]).examples
    ]
    expected = pipeline.predict_proba(heldout)
    ours = np.vstack([model.probabilities(text) for text in heldout])
    assert model.labels == tuple(pipeline.classes_)
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_two_stages(tmp_path: Path) -> None:
    store = ModelStore(*SMALL_FAQ, ModelConfig(), tmp_path)
    models = store.get()
    assert models.intents.labels == ("affirm", "benefit_info", "deny")
    assert models.topics is not None
    assert models.topics.labels == ("benefit_info/deadline", "benefit_info/duration")
    no_faq = ModelStore(SMALL[0][:6], SMALL[1][:6], ModelConfig(), None).get()
    assert no_faq.topics is None  # one question is no choice


def test_trained_once_then_read_from_the_cache(tmp_path: Path) -> None:
    first = ModelStore(*SMALL, ModelConfig(), tmp_path)
    models = first.get()
    assert first.report is not None and first.report.source == "trained"
    assert first.get() is models  # trained once per process
    (path,) = tmp_path.glob(f"{CACHE_PREFIX}*.npz")
    assert first.report.path == path
    second = ModelStore(*SMALL, ModelConfig(), tmp_path)
    again = second.get()
    assert second.report is not None and second.report.source == "cache"
    for text in ("ya", "tidak", "berapa bulan"):
        np.testing.assert_array_equal(
            again.intents.probabilities(text), models.intents.probabilities(text)
        )


def test_changed_data_or_settings_train_again_and_replace_the_file(tmp_path: Path) -> None:
    ModelStore(*SMALL, ModelConfig(), tmp_path).get()
    (old,) = tmp_path.glob(f"{CACHE_PREFIX}*.npz")
    texts, labels = SMALL
    changed = ModelStore([*texts, "siap kak"], [*labels, "affirm"], ModelConfig(), tmp_path)
    changed.get()
    assert changed.report is not None and changed.report.source == "trained"
    (new,) = tmp_path.glob(f"{CACHE_PREFIX}*.npz")
    assert new != old
    assert fingerprint(*SMALL, ModelConfig()) != fingerprint(*SMALL, ModelConfig(c=1.0))
    assert fingerprint(*SMALL, ModelConfig()) == fingerprint(*SMALL, ModelConfig())


def test_versions_are_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import nlu.model

    before = fingerprint(*SMALL, ModelConfig())
    monkeypatch.setattr(nlu.model, "version", lambda package: "0.0.0")
    assert fingerprint(*SMALL, ModelConfig()) != before


def test_reading_the_cache_does_not_import_scikit_learn(tmp_path: Path) -> None:
    """The bot starts with the arrays only (scikit-learn costs memory and a second)."""
    ModelStore(*SMALL, ModelConfig(), tmp_path).get()
    code = (
        "import sys; from pathlib import Path; from nlu.model import ModelConfig, ModelStore; "
        f"texts, labels = {SMALL!r}; "
        f"s = ModelStore(texts, labels, ModelConfig(), Path({str(tmp_path)!r})); s.get(); "
        "assert s.report.source == 'cache', s.report; "
        "print(sorted(m for m in sys.modules if m.startswith('sklearn')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_unwritable_cache_keeps_the_model_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    store = ModelStore(*SMALL, ModelConfig(), blocked / "cache")
    with caplog.at_level(logging.WARNING, logger="nlu.model"):
        models = store.get()
    assert models.intents.labels == ("affirm", "benefit_info", "deny")
    assert store.report is not None and store.report.path is None
    assert "kept in memory" in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_cache_directory(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        store = ModelStore(*SMALL, ModelConfig(), tmp_path)
        store.get()
        assert store.report is not None and store.report.path is None
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.parametrize("damage", ["garbage", "pickle", "format"])
def test_a_damaged_cache_file_is_trained_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    ModelStore(*SMALL, ModelConfig(), tmp_path).get()
    (path,) = tmp_path.glob(f"{CACHE_PREFIX}*.npz")
    if damage == "garbage":
        path.write_bytes(b"not a zip file")
    elif damage == "pickle":  # an object array would need allow_pickle=True to load
        np.savez(path, meta=np.array([{"format": 1}], dtype=object), allow_pickle=True)
    else:
        np.savez(path, meta=np.array('{"format": 999}'))
    store = ModelStore(*SMALL, ModelConfig(), tmp_path)
    with caplog.at_level(logging.WARNING, logger="nlu.model"):
        store.get()
    assert store.report is not None and store.report.source == "trained"
    assert "ignoring the unreadable cached model" in caplog.text
    assert isinstance(Models.load(path), Models)  # and the file was written again


def test_the_cache_setting() -> None:
    assert resolve_cache_dir("none") is None
    assert resolve_cache_dir("/tmp/x") == Path("/tmp/x")
    default = resolve_cache_dir("")
    assert default is not None and default.name == "pendamping-jkp"
