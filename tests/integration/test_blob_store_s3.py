"""A real server process with its files in object storage (SeaweedFS), a real client
syncing from it, downloads redirected to presigned URLs, a store that is away, and
``docshelf admin blobs verify / gc / migrate``."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import obstore
import pytest

from docshelf.server.blobstore import open_blob_store
from support.api import FAST_HASHING, LiveServer, admin_cli, start_live
from support.seaweed import SeaweedS3
from support.server import MakeServer
from support.sync import client_for, make_template, sync

MiB = 1024 * 1024
REDIRECT_MIN = 1 * MiB


def _docx_like(size: int) -> bytes:
    return b"PK\x03\x04" + secrets.token_bytes(size - 4)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keys(s3: SeaweedS3, bucket: str, prefix: str) -> list[str]:
    return [m["path"] for batch in obstore.list(s3.store(bucket), prefix=prefix) for m in batch]


@pytest.fixture
def s3_env(seaweed: SeaweedS3, monkeypatch: pytest.MonkeyPatch) -> SeaweedS3:
    """Credentials in this process's environment too (the admin CLI inherits them)."""
    for key, value in seaweed.env().items():
        monkeypatch.setenv(key, value)
    return seaweed


@pytest.fixture
def on_s3(make_server: MakeServer, s3_env: SeaweedS3, s3_bucket: str) -> Iterator[LiveServer]:
    env = {
        **FAST_HASHING,
        **s3_env.env(),
        "DOCSHELF_BLOB_REDIRECT_MIN_BYTES": str(REDIRECT_MIN),
    }
    server = make_server(
        env=env, extra_args=["--blob-store", f"s3://{s3_bucket}/files", "--blob-redirect"]
    )
    live = start_live(server)
    try:
        yield live
    finally:
        live.close()


def test_a_client_syncs_from_object_storage_with_redirects(
    on_s3: LiveServer, s3_env: SeaweedS3, s3_bucket: str, tmp_path: Path
) -> None:
    reader, me = on_s3.new_user()
    outsider, _ = on_s3.new_user()
    big, small = _docx_like(5 * MiB + 3), _docx_like(20_000)
    use = [f"user:{me['id']}"]
    make_template(on_s3, "Large", use=use, data=big)
    make_template(on_s3, "Small", use=use, data=small)
    stored = _keys(s3_env, s3_bucket, "files/blobs/")
    assert {key.rsplit("/", 1)[-1] for key in stored} == {_sha(big), _sha(small)}

    # Large: a redirect to the object store, only for someone who may read it.
    answer = reader.get(f"/blobs/{_sha(big)}")
    assert answer.status_code == 307
    location = answer.headers["location"]
    assert location.startswith(s3_env.endpoint) and "X-Amz-Signature" in location
    assert outsider.get(f"/blobs/{_sha(big)}").status_code == 404
    direct = httpx.get(location, headers={"Range": "bytes=0-99"})
    assert direct.status_code == 206 and direct.content == big[:100]
    # Small: served by the server, Range and ETag as from the local directory.
    ranged = reader.get(f"/blobs/{_sha(small)}", headers={"Range": "bytes=4-11"})
    assert ranged.status_code == 206 and ranged.content == small[4:12]
    assert ranged.headers["content-range"] == f"bytes 4-11/{len(small)}"
    etag = ranged.headers["etag"]
    assert etag == f'"{_sha(small)}"'
    cached = reader.get(f"/blobs/{_sha(small)}", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    # What the route answers itself (api/quick_blob.py passes these on).
    suffix = reader.get(f"/blobs/{_sha(small)}", headers={"Range": "bytes=-5"})
    assert suffix.status_code == 206 and suffix.content == small[-5:]
    beyond = reader.get(f"/blobs/{_sha(small)}", headers={"Range": f"bytes={len(small)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(small)}"
    stale = reader.get(
        f"/blobs/{_sha(small)}", headers={"Range": "bytes=0-3", "If-Range": '"other"'}
    )
    assert stale.status_code == 200 and stale.content == small
    head = reader.request("HEAD", f"/blobs/{_sha(small)}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(small))

    client = client_for(on_s3, tmp_path / "home", me["login"])
    try:
        sync(client)
        assert client.files.path(_sha(big)).read_bytes() == big
        assert client.files.path(_sha(small)).read_bytes() == small
    finally:
        client.close()


def test_upload_in_pieces_is_kept_in_the_bucket(
    on_s3: LiveServer, s3_env: SeaweedS3, s3_bucket: str
) -> None:
    data = _docx_like(300_000)
    sha = _sha(data)
    total = len(data)
    first = on_s3.admin.put(
        f"/blobs/{sha}",
        content=data[:100_000],
        headers={"Content-Range": f"bytes 0-{total - 1}/{total}"},
    )
    # The connection "broke": the server answers with what it kept.
    assert first.status_code == 202, first.text
    state = on_s3.admin.get(f"/blobs/{sha}/upload").json()
    assert state["complete"] is False
    kept = state["offset"]
    assert kept == 100_000
    assert _keys(s3_env, s3_bucket, "files/partials/")
    rest = on_s3.admin.put(
        f"/blobs/{sha}",
        content=data[kept:],
        headers={"Content-Range": f"bytes {kept}-{total - 1}/{total}"},
    )
    assert rest.status_code == 200, rest.text
    assert on_s3.admin.get(f"/blobs/{sha}/upload").json()["complete"] is True
    assert on_s3.admin.get(f"/blobs/{sha}").content == data
    assert _keys(s3_env, s3_bucket, "files/partials/") == []


def test_an_unreachable_store_answers_503(make_server: MakeServer, s3_env: SeaweedS3) -> None:
    from support.postgres import free_port

    env = {
        **FAST_HASHING,
        **s3_env.env(),
        "DOCSHELF_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}",
    }
    server = make_server(
        env=env, extra_args=["--blob-store", "s3://gone/files"], ready_path="/healthz"
    )
    live = start_live(server)
    try:
        # Up, but not ready: a load balancer sends it nothing.
        ready = httpx.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["code"] == "blob_store_unavailable"
        data = b"PK\x03\x04 nowhere to go"
        answer = live.admin.put(f"/blobs/{_sha(data)}", content=data)
        assert answer.status_code == 503, answer.text
        problem = answer.json()
        assert problem["code"] == "blob_store_unavailable"
        assert "file storage" in problem["detail"]
        assert answer.headers["retry-after"]
    finally:
        live.close()


def _admin(live: LiveServer, *args: str) -> tuple[int, str]:
    done = admin_cli(list(args), data_dir=str(live.data_dir), database_url=live.database_url)
    return done.returncode, done.stdout + done.stderr


def test_admin_blobs_verify_and_gc_on_object_storage(
    on_s3: LiveServer, s3_env: SeaweedS3, s3_bucket: str
) -> None:
    store = f"s3://{s3_bucket}/files"
    kept, dropped = _docx_like(30_000), _docx_like(40_000)
    make_template(on_s3, "Kept", data=kept)
    on_s3.admin.upload(dropped)  # uploaded, never used
    code, out = _admin(on_s3, "blobs", "--blob-store", store, "verify")
    assert code == 0, out
    assert "0 missing, 0 damaged" in out
    code, out = _admin(on_s3, "blobs", "usage")  # the dashboard's figures
    assert code == 0 and out.startswith("2 files, "), out

    # Within the grace period nothing goes.
    code, out = _admin(on_s3, "blobs", "--blob-store", store, "gc")
    assert code == 0, out
    names = {k.rsplit("/", 1)[-1] for k in _keys(s3_env, s3_bucket, "files/blobs/")}
    assert {_sha(kept), _sha(dropped)} <= names
    time.sleep(1.1)  # object stores keep times in whole seconds
    code, out = _admin(on_s3, "blobs", "--blob-store", store, "gc", "--grace-hours", "0")
    assert code == 0, out
    assert "Removed 1 unused file" in out
    names = {k.rsplit("/", 1)[-1] for k in _keys(s3_env, s3_bucket, "files/blobs/")}
    assert _sha(kept) in names and _sha(dropped) not in names
    # Gone from the database as well: the uploader is asked to send it again.
    missing = on_s3.admin.ok("POST", "/blobs/missing", json={"sha256": [_sha(dropped)]})
    assert missing["missing"] == [_sha(dropped)]

    # A file lost from the bucket is found by verify.
    lost = _sha(kept)
    obstore.delete(s3_env.store(s3_bucket, "files"), f"blobs/{lost[:2]}/{lost[2:4]}/{lost}")
    code, out = _admin(on_s3, "blobs", "--blob-store", store, "verify")
    assert code == 1
    assert f"Missing: {lost}" in out


def test_admin_blobs_migrate_a_local_store_while_the_server_runs(
    live: LiveServer, s3_env: SeaweedS3, s3_bucket: str
) -> None:
    contents = [_docx_like(n) for n in (10_000, 2 * MiB + 1, 77)]
    for i, data in enumerate(contents):
        make_template(live, f"Migrated {i}", data=data)
    target = f"s3://{s3_bucket}/moved"
    source = str(live.data_dir / "blobs")
    if live.database_url is not None:
        # Named by the database alone, the admin CLI cannot guess where the files are.
        code, out = _admin(live, "blobs", "migrate", "--to", target)
        assert code == 2 and "--blob-store" in out
    code, out = _admin(live, "blobs", "--blob-store", source, "migrate", "--to", target)
    assert code == 0, out
    local = open_blob_store(live.data_dir / "blobs")
    everything = {b.sha256 for b in local.list_blobs()}
    assert {_sha(d) for d in contents} <= everything
    moved = open_blob_store(target)
    assert {b.sha256 for b in moved.list_blobs()} == everything
    for data in contents:
        with moved.open(_sha(data)) as f:
            assert f.read() == data
    # Again: nothing to copy (idempotent, and how an interrupted run resumes).
    code, out = _admin(live, "blobs", "--blob-store", source, "migrate", "--to", target)
    assert code == 0, out
    assert "Copied 0 files" in out
    code, out = _admin(live, "blobs", "--blob-store", target, "verify")
    assert code == 0, out


def test_admin_blobs_gc_on_a_directory(live: LiveServer) -> None:
    kept, dropped = _docx_like(3000), _docx_like(4000)
    make_template(live, "Kept on disk", data=kept)
    live.admin.upload(dropped)
    source = str(live.data_dir / "blobs")
    code, out = _admin(
        live, "blobs", "--blob-store", source, "gc", "--dry-run", "--grace-hours", "0"
    )
    assert code == 0 and "Would remove" in out, out
    store = open_blob_store(source)
    assert store.has(_sha(dropped))
    code, out = _admin(live, "blobs", "--blob-store", source, "gc", "--grace-hours", "0")
    assert code == 0, out
    assert not store.has(_sha(dropped)) and store.has(_sha(kept))
    code, out = _admin(live, "blobs", "--blob-store", source, "verify")
    assert code == 0, out
