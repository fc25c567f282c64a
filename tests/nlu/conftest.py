"""One trained interpreter for the nlu tests, cached in a throw-away directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.interpreter import Interpreter, load_interpreter


@pytest.fixture(scope="session")
def nlu_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def trained(nlu_cache_dir: Path) -> Interpreter:
    """The real interpreter over nlu/, its classifier trained once per test run (and cached
    in ``nlu_cache_dir``, where `jkp-bot nlu` run by the tests finds it)."""
    interpreter = load_interpreter(cache_dir=nlu_cache_dir)
    interpreter.prepare()
    return interpreter
