"""Property 5 against SIGKILL: a real ``docshelf sync`` process killed before its edits
reach the server, or after the server applied them but before the client heard; after a
restart every edit is applied exactly once."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from docshelf.client.app import Client
from docshelf.client.outbox import EditState
from docshelf.client.paths import Home
from support.api import PASSWORD, LiveServer
from support.proxy import Hold, holding_proxy
from support.sync import server_seq

EDITS = 5


def _cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "docshelf", "--home", str(home), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "DOCSHELF_KEYRING": "0"}


def _run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cli(home, *args), input=stdin, text=True, capture_output=True, env=_env(), check=False
    )


def _killed_sync(home: Path, proxy_held: object) -> None:
    """Start ``docshelf sync``; SIGKILL it once the proxy holds the upload."""
    process = subprocess.Popen(
        _cli(home, "sync", "--json"), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proxy_held.wait(60), "the sync never uploaded"  # type: ignore[attr-defined]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def _pending(home: Path) -> list[EditState]:
    client = Client(Home(home))
    try:
        return [e.state for e in client.store.outbox.entries()]
    finally:
        client.close()


def _scenario(live: LiveServer, tmp_path: Path, hold: Hold) -> None:
    tag = secrets.token_hex(3)
    field = f"phone_{tag}"
    live.admin.ok("POST", "/admin/fields", json={"key": field, "scope": "user", "type": "phone"})
    _, anna = live.new_user(login_name=f"anna{tag}")
    profile = live.admin.ok(
        "POST", "/admin/profiles", json={"owner_id": anna["id"], "title": f"Anna {tag}"}
    )
    port = urlparse(live.url).port
    assert port is not None
    home = tmp_path / "anna"
    with holding_proxy(port, b"/sync/mutations") as proxy:
        login = _run(
            home, "login", "--server", proxy.url, "--user", anna["login"], "--password-stdin",
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert login.returncode == 0, login.stderr
        assert _run(home, "sync").returncode == 0
        # Each edit its own process, as a user at a terminal makes them.
        for n in range(EDITS):
            done = _run(home, "profile", "set", profile["id"], field, f"+41 44 000 00 {n:02d}")
            assert done.returncode == 0, done.stderr
            assert "Queued" in done.stdout
        assert _pending(home) == [EditState.PENDING] * EDITS

        before = server_seq(live)
        proxy.hold = hold
        _killed_sync(home, proxy.held)
        applied_by_then = server_seq(live) - before
        if hold is Hold.REQUEST:
            assert applied_by_then == 0
        else:
            assert applied_by_then == EDITS, "the server should have applied the batch"
        # The killed process recorded nothing: all still pending on this machine.
        assert _pending(home) == [EditState.PENDING] * EDITS

        proxy.hold = Hold.NOTHING
        restarted = _run(home, "sync", "--json")
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert json.loads(restarted.stdout)["uploaded"] == EDITS
    assert server_seq(live) - before == EDITS, "an edit was applied twice"
    server = live.admin.ok("GET", f"/admin/profiles/{profile['id']}")
    assert server["overrides"][field] == f"+41 44 000 00 {EDITS - 1:02d}"
    assert server["version"] == profile["version"] + EDITS
    assert _pending(home) == []


def test_killed_before_the_upload_reaches_the_server(live: LiveServer, tmp_path: Path) -> None:
    _scenario(live, tmp_path, Hold.REQUEST)


def test_killed_after_the_server_applied_before_the_answer(
    live: LiveServer, tmp_path: Path
) -> None:
    _scenario(live, tmp_path, Hold.RESPONSE)
