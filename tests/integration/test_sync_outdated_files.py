"""A template that changes between the page listing it and the download of its file: the
sync skips the file the server no longer serves, pulls the newer state in the same run and
ends with the server's view (issue #12, item 5). The file request is held by a proxy until
the change is committed: no race."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from docshelf.client.app import Client
from docshelf.client.downloads import PACK_FILE_LIMIT
from docshelf.client.paths import Home
from support.api import FAST_HASHING, PASSWORD, LiveServer, start_live
from support.proxy import Hold, holding_proxy
from support.server import MakeServer
from support.sync import assert_client_matches_server, ids, make_template

WAIT_S = 60.0


def _docx_like(size: int) -> bytes:
    """Random bytes that pass as a docx (only the first bytes are checked)."""
    return b"PK\x03\x04" + secrets.token_bytes(size - 4)


def _change(live: LiveServer, template_id: str, how: str) -> str | None:
    """Change the template as an administrator; returns its new file's hash, if any."""
    if how == "in_test":
        live.admin.ok("PATCH", f"/admin/templates/{template_id}", json={"status": "in_test"})
        return None
    sha = live.admin.upload(_docx_like(20_000))
    live.admin.ok(
        "PUT",
        f"/admin/templates/{template_id}/files/de",
        json={"sha256": sha, "filename": "newer.docx"},
    )
    return sha


@pytest.mark.parametrize(
    ("how", "size"),
    [
        pytest.param("in_test", 30_000, id="in_test-packed"),
        pytest.param("new_file", PACK_FILE_LIMIT + 1, id="new_file-alone"),
    ],
)
def test_a_template_changed_before_its_file_download_syncs_in_one_run(
    make_server: MakeServer, database_url: str | None, tmp_path: Path, how: str, size: int
) -> None:
    live = start_live(make_server(database_url, env=FAST_HASHING))
    try:
        _, anna = live.new_user(login_name=f"anna{secrets.token_hex(3)}")
        changing = make_template(live, "Offer", data=_docx_like(size))
        # A second file: small ones travel together in one pack request.
        other = make_template(live, "Letter", data=_docx_like(10_000))
        old_sha = changing["files"]["de"]["sha256"]
        home = tmp_path / "anna"
        with holding_proxy(live.process.port, b"/blobs/") as proxy:
            client = Client(Home(home))
            client.login(proxy.url, anna["login"], PASSWORD, device_name="test-anna")
            client.close()
            proxy.hold = Hold.REQUEST
            process = subprocess.Popen(
                [sys.executable, "-m", "docshelf", "--home", str(home), "sync"],
                env={**os.environ, "DOCSHELF_KEYRING": "0"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert proxy.held.wait(WAIT_S), "no file was asked for"
                # The page listing the template is in; its file request waits.
                new_sha = _change(live, changing["id"], how)
                proxy.release()
                out, err = process.communicate(timeout=WAIT_S * 2)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        assert process.returncode == 0, out + err

        client = Client(Home(home))
        try:
            assert_client_matches_server(live, client)
            assert other["id"] in ids(client, "template")
            assert not client.files.has(old_sha)
            if new_sha is None:
                assert changing["id"] not in ids(client, "template")
            else:
                record = client.store.record("template", changing["id"])
                assert record is not None
                assert record["files"]["de"]["sha256"] == new_sha
                assert client.files.has(new_sha)
        finally:
            client.close()
    finally:
        live.close()
