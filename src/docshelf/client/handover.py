"""Talking to a running desktop app of the same home, without Qt.

The app listens on a local socket (a Unix socket; Qt's ``QLocalServer`` on the same
path). Requests and answers are JSON lines:

- ``{"command": "activate"}`` → ``{"event": "ok"}``: bring the window to the front.
- ``{"command": "sync"}`` → ``{"event": "status", "status": {...}}`` lines while the sync
  runs, then ``{"event": "done", "status": {...}}``: the app synchronises (a manual sync)
  and reports its progress, so ``docshelf sync`` need not start a second engine.

Only standard-library code here, so a command-line process can ask the app without
loading Qt.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docshelf.client.paths import Home
from docshelf.domain.json_text import parse_json


def socket_path(home: Home) -> Path:
    """One socket per user and home; in the temp folder because a home's path may be too
    long for a Unix socket address (about 100 bytes)."""
    digest = hashlib.sha256(str(home.root).encode()).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"docshelf-{uid}-{digest}.sock"


def request(home: Home, command: str, timeout: float = 5.0) -> Iterator[dict[str, Any]]:
    """Send a command to the running app and yield its answers; nothing if none runs.

    ``timeout`` bounds each wait for a line, not the whole exchange: a long sync keeps
    sending progress.
    """
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except (AttributeError, OSError):
        return
    conn.settimeout(timeout)
    with conn:
        try:
            conn.connect(str(socket_path(home)))
        except OSError:
            return
        conn.sendall(json.dumps({"command": command}).encode() + b"\n")
        with conn.makefile("rb") as answers:
            for line in answers:
                message = parse_json(line, "The running client's message")
                yield message
                if message.get("event") in ("ok", "done", "error"):
                    return
