"""`jkp-bot nlu parse | evaluate | train`."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from nlu.interpreter import Interpreter


@pytest.fixture
def cached(monkeypatch: pytest.MonkeyPatch, trained: Interpreter, nlu_cache_dir: Path) -> Path:
    """NLU_CACHE_DIR pointing at the model the session already trained."""
    monkeypatch.setenv("NLU_CACHE_DIR", str(nlu_cache_dir))
    return nlu_cache_dir


def _rasa_shaped(data: dict[str, object]) -> None:
    assert set(data) >= {"text", "intent", "entities", "intent_ranking"}
    intent = data["intent"]
    assert isinstance(intent, dict) and set(intent) == {"name", "confidence"}
    entities = data["entities"]
    assert isinstance(entities, list)
    for entity in entities:
        assert {"entity", "value", "start", "end"} <= set(entity)


def test_parse_one_message(cached: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nlu", "parse", "cari loker sopir di bekasi", "--today", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    _rasa_shaped(data)
    assert data["text"] == "cari loker sopir di bekasi"
    assert data["intent"]["name"] == "search_vacancies"
    assert [(e["entity"], e["value"]) for e in data["entities"]] == [
        ("job", "Sopir"),
        ("place", "Bekasi"),
    ]
    assert out.count("\n") == 1


def test_parse_reads_one_message_per_line(
    cached: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["sy kena phk tgl 3 kemarin", "", "resep nasi goreng", "kapan batas klaim?"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["nlu", "parse", "--today", "2026-11-20"]) == 0
    outputs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["text"] for o in outputs] == lines
    for data in outputs:
        _rasa_shaped(data)
    assert [o["intent"]["name"] for o in outputs] == [
        "check_eligibility",
        None,
        "out_of_scope",
        "benefit_info",
    ]
    assert outputs[0]["entities"][0]["value"] == "2026-11-03"
    assert outputs[3]["response_selector"]["benefit_info"]["response"]["utter_action"] == (
        "utter_benefit_info/deadline"
    )


def test_train_reports_the_cache(cached: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nlu", "train"]) == 0
    out = capsys.readouterr().out
    assert "read from the cache" in out and str(cached) in out


def test_train_without_a_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NLU_CACHE_DIR", "none")
    assert main(["nlu", "train"]) == 0
    assert "trained" in capsys.readouterr().out


def test_evaluate(cached: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nlu", "evaluate", "--folds", "2", "--json", "--fail-under", "0.95"]) == 0
    report = json.loads(capsys.readouterr().out)
    cv, heldout = report["cross_validation"], report["heldout"]
    assert report["folds"] == 2
    assert cv["examples"] > 1500 and 0.5 < cv["accuracy"] <= 1
    assert heldout["examples"] >= 270
    assert heldout["accuracy"] >= 0.95 and heldout["macro_f1"] >= 0.93
    assert set(heldout["per_intent"]) >= {"check_eligibility", "benefit_info", "out_of_scope"}
    for worst in cv["worst"]:
        assert worst["expected"] != worst["predicted"]
    for confusion in cv["confusions"]:
        assert confusion["expected"] != confusion["predicted"] and confusion["count"] > 0
    assert set(heldout["entities"]) == {"job", "place", "company", "date", "amount"}


def test_evaluate_text_and_failing_floor(
    cached: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    heldout = tmp_path / "hard.yml"
    heldout.write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - resep nasi goreng\n'
        "    - pinjam uang dong\n",
        encoding="utf-8",
    )
    code = main(["nlu", "evaluate", "--folds", "2", "--heldout", str(heldout),
                 "--fail-under", "0.5"])  # fmt: skip
    assert code == 1
    out = capsys.readouterr().out
    assert "2-fold cross-validation" in out and "macro-F1" in out
    assert "'resep nasi goreng': greet -> out_of_scope" in out
    assert main(["nlu", "evaluate", "--heldout", str(tmp_path / "missing.yml")]) == 2


@pytest.mark.skipif(shutil.which("jkp-bot") is None, reason="jkp-bot is not installed")
def test_the_installed_command_reads_a_pipe(cached: Path) -> None:
    done = subprocess.run(
        ["jkp-bot", "nlu", "parse"],
        input="halo\nada loker satpam di jaksel ga\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outputs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["intent"]["name"] for o in outputs] == ["greet", "search_vacancies"]
