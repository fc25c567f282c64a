"""Validate data against Rasa 3.x's own pykwalify schemas (../shared/rasa-schemas), the way
Rasa does: the main schema plus the ``responses`` partial, with Rasa's custom check."""

from __future__ import annotations

import logging
import types
import warnings
from pathlib import Path
from typing import Any

import yaml


def require_response_keys(responses: list[Any], _rule: Any, _path: str) -> bool | str:
    """Rasa's custom check (rasa/shared/utils/pykwalify_extensions.py): every variation of a
    response has ``text`` or ``custom``. A string return is reported as a validation error."""
    for response in responses:
        missing = isinstance(response, dict) and response.get("text") is None
        if missing and not response.get("custom"):
            return "Missing 'text' or 'custom' key in response"
    return True


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def rasa_validate(data: Any, schemas: Path, main_schema: str) -> None:
    """Raise pykwalify's SchemaError when ``data`` is not valid for ``main_schema``."""
    from pykwalify.core import Core  # a test dependency, not needed to run the bot

    schema = {**_load(schemas / main_schema), **_load(schemas / "responses.yml")}
    extension = types.ModuleType("rasa_pykwalify_extensions")
    extension.require_response_keys = require_response_keys  # type: ignore[attr-defined]

    class RasaCore(Core):  # type: ignore[misc]
        def _load_extensions(self) -> None:
            # pykwalify would import extension *files* with the deprecated load_module().
            self.loaded_extensions = [extension]

    logger = logging.getLogger("pykwalify")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # it logs every error before raising them
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            RasaCore(source_data=data, schema_data=schema).validate(raise_exception=True)
    finally:
        logger.setLevel(level)


def schemas_or_skip(schemas: Path) -> None:
    """In a test: skip when ../shared/rasa-schemas is absent (a plain clone), but fail where
    it must be there (CI sets ``JKP_REQUIRE_SHARED=1``)."""
    import os

    import pytest

    if schemas.is_dir():
        return
    message = f"{schemas}: ../shared/rasa-schemas not present"
    if os.environ.get("JKP_REQUIRE_SHARED") == "1":
        pytest.fail(f"{message}, and JKP_REQUIRE_SHARED=1 requires it")
    pytest.skip(f"{message}: Rasa schema check skipped")
