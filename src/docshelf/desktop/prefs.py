"""The desktop app's own preferences, kept in the home beside the client's files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from docshelf.client import Home
from docshelf.domain.json_text import parse_json

FILENAME = "desktop.json"


def _path(home: Home) -> Path:
    return home.root / FILENAME


def load_language(home: Home) -> str | None:
    """The UI language the user chose on the docshelf tab; None: follow the system."""
    try:
        value = parse_json(_path(home).read_text(encoding="utf-8"), "The file").get("language")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def save_language(home: Home, language: str) -> None:
    path = _path(home)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".desktop-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"language": language}, out)
    os.replace(tmp, path)
