"""A download stopped half-way leaves a part file; once the user may no longer see the
template it belongs to, the next complete sync removes it with the template (issue #12,
item 3: confidentiality)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from docshelf.client.app import Client
from docshelf.client.paths import Home
from support.api import FAST_HASHING, PASSWORD, start_live
from support.proxy import Hold, holding_proxy
from support.server import MakeServer
from support.sync import assert_client_matches_server, ids, make_template, sync

MiB = 1024 * 1024
WAIT_S = 60.0


def _docx_like(size: int) -> bytes:
    """Random bytes that pass as a docx (only the first bytes are checked)."""
    return b"PK\x03\x04" + secrets.token_bytes(size - 4)


def _cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "docshelf", "--home", str(home), *args]


def _wait_for_part(part: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not (part.is_file() and part.stat().st_size > 0):
        assert time.monotonic() < deadline, "the download never began"
        time.sleep(0.02)


def test_a_partial_of_a_template_no_longer_visible_is_removed(
    make_server: MakeServer, database_url: str | None, tmp_path: Path
) -> None:
    live = start_live(make_server(database_url, env=FAST_HASHING))
    try:
        tag = secrets.token_hex(3)
        legal = live.admin.ok("POST", "/admin/groups", json={"name": f"legal-{tag}"})
        _, anna = live.new_user(login_name=f"anna{tag}")
        live.admin.ok("POST", f"/admin/groups/{legal['id']}/members", json={"user_id": anna["id"]})
        # Larger than a pack takes: fetched alone, with a part file from its first byte on.
        nda = make_template(live, "NDA", use=[f"group:{legal['id']}"], data=_docx_like(6 * MiB))
        sha = nda["files"]["de"]["sha256"]
        home = tmp_path / "anna"
        part = home / "files" / ".partial" / f"{sha}.part"

        with holding_proxy(live.process.port, b"/blobs/") as proxy:
            client = Client(Home(home))
            client.login(proxy.url, anna["login"], PASSWORD, device_name="test-anna")
            client.close()
            # The client hears the first megabyte of the file, then nothing: killed then.
            proxy.pass_bytes = MiB
            proxy.hold = Hold.PART_OF_RESPONSE
            process = subprocess.Popen(
                _cli(home, "sync"),
                env={**os.environ, "DOCSHELF_KEYRING": "0"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                assert proxy.held.wait(WAIT_S), "the file was never asked for"
                _wait_for_part(part)
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait()
            assert 0 < part.stat().st_size < 6 * MiB

            # anna leaves the group: the NDA, its file and its partial are no longer hers.
            live.admin.ok("DELETE", f"/admin/groups/{legal['id']}/members/users/{anna['id']}")
            proxy.release()
            client = Client(Home(home))
            try:
                sync(client)
                assert nda["id"] not in ids(client, "template")
                assert_client_matches_server(live, client)
                assert not client.files.has(sha)
                assert not part.exists(), "the partial of a template anna lost stayed on disk"
                assert client.files.partial_hashes() == set()
            finally:
                client.close()
    finally:
        live.close()
