"""The user's client configuration (which server, who), kept apart from the sync state."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from docshelf.client.errors import LocalStoreError
from docshelf.domain.json_text import parse_json
from docshelf.i18n import tr

# Changes asked for per page of the feed. Each page costs the server a request and its
# statements whatever its size: a first sync of 20 000 records in pages of 2 000 took the
# server a fifth less CPU than in pages of 500 (docs/performance.md, round 9).
PAGE_SIZE = 2000


class ClientConfig(NamedTuple):
    """A named tuple, not a dataclass: every command reads it, and dataclasses loads
    ``inspect`` (a fifth of a reading command's start, docs/performance.md)."""

    server_url: str
    login: str
    user_id: str
    device_id: str
    device_name: str
    language: str = "de"


def load_config(path: Path) -> ClientConfig | None:
    try:
        data = parse_json(path.read_text(encoding="utf-8"), "The file")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LocalStoreError(
            tr(
                "The client configuration {path} cannot be read ({reason}); sign in again.",
                path=path,
                reason=exc,
            )
        ) from exc
    if not isinstance(data, dict):
        raise LocalStoreError(
            tr("The client configuration {path} is damaged; sign in again.", path=path)
        )
    known = set(ClientConfig._fields)
    return ClientConfig(**{k: v for k, v in data.items() if k in known})


def save_config(path: Path, config: ClientConfig) -> None:
    import tempfile  # here: it loads shutil, bz2, lzma; reading needs none

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(config._asdict(), out, indent=2)
    os.replace(tmp, path)


def forget_config(path: Path) -> None:
    path.unlink(missing_ok=True)
