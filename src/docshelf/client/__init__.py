"""The docshelf sync client: local cache, file store, sync engine and its adapters.

The desktop app and the CLI use the client through the names listed here and nothing
below them (``tests/unit/test_architecture.py`` enforces it). The names are loaded when
first used (PEP 562): ``from docshelf.client import Client`` reads the client's modules
for the local copy only, not the engine, the HTTP stack or the wire models, so that a
command that only reads the local copy starts fast.

To export another name, add it to ``_EXPORTS`` (name → module below ``docshelf.client``)
and to ``__all__``; ``tests/unit/test_client_facade.py`` checks that each one resolves.
``reading``, ``documents`` and ``handover`` are modules of plain functions over the
cache, exported whole.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

# httpx imports its own command line (click, rich, pygments: a tenth of a second) whenever
# those are installed, as they are beside docshelf; the client never runs it. A None entry
# makes that one import fail, and httpx catches the ImportError and defines a stub instead.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

__all__ = [
    "Client",
    "Daemon",
    "EditState",
    "Editor",
    "FileStore",
    "HintState",
    "Home",
    "MissingFile",
    "NewDocument",
    "NoLocalCopy",
    "NotSignedIn",
    "OutboxEntry",
    "Phase",
    "Queued",
    "RemoteError",
    "ServerUnreachable",
    "Status",
    "SyncBusy",
    "SyncResult",
    "SyncState",
    "documents",
    "fresh_path",
    "handover",
    "normalize_server_url",
    "reading",
    "resolve_home",
    "soon_delay",
]

# Public name → the module (below docshelf.client) it lives in; a module exports itself.
_EXPORTS = {
    "Client": "app",
    "Daemon": "daemon",
    "EditState": "outbox",
    "Editor": "editing",
    "FileStore": "files",
    "HintState": "status",
    "Home": "paths",
    "MissingFile": "errors",
    "NewDocument": "documents",
    "NoLocalCopy": "errors",
    "NotSignedIn": "errors",
    "OutboxEntry": "outbox",
    "Phase": "status",
    "Queued": "editing",
    "RemoteError": "errors",
    "ServerUnreachable": "errors",
    "Status": "status",
    "SyncBusy": "errors",
    "SyncResult": "results",
    "SyncState": "status",
    "documents": "documents",
    "fresh_path": "documents",
    "handover": "handover",
    "normalize_server_url": "remote",
    "reading": "reading",
    "resolve_home": "paths",
    "soon_delay": "scheduler",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{module_name}")
    value = module if module_name == name else getattr(module, name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ loads it
    from docshelf.client import documents, handover, reading
    from docshelf.client.app import Client
    from docshelf.client.daemon import Daemon
    from docshelf.client.documents import NewDocument, fresh_path
    from docshelf.client.editing import Editor, Queued
    from docshelf.client.errors import (
        MissingFile,
        NoLocalCopy,
        NotSignedIn,
        RemoteError,
        ServerUnreachable,
        SyncBusy,
    )
    from docshelf.client.files import FileStore
    from docshelf.client.outbox import EditState, OutboxEntry
    from docshelf.client.paths import Home, resolve_home
    from docshelf.client.remote import normalize_server_url
    from docshelf.client.results import SyncResult
    from docshelf.client.scheduler import soon_delay
    from docshelf.client.status import HintState, Phase, Status, SyncState
