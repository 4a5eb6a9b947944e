"""The manifest's JSON Schema (the same document as docs/package.schema.json)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from docshelf.domain.packages import MANIFEST_NAME, package_invalid

SCHEMA_FILE = "package.schema.json"
_MAX_MESSAGE = 200


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def location(error: ValidationError) -> str:
    """``templates[3].files.de.sha256`` for an error at that place."""
    where = ""
    for part in error.absolute_path:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where


def _message(error: ValidationError) -> str:
    message = str(error.message)
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return message


def validate(data: Any) -> None:
    """Raise PackageInvalid naming every place where the manifest breaks its schema."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise package_invalid(
            [
                f"{MANIFEST_NAME}: {where}: {_message(e)}"
                if (where := location(e))
                else f"{MANIFEST_NAME}: {_message(e)}"
                for e in errors
            ]
        )
