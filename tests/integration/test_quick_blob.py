"""File downloads answered before routing (api/quick_blob.py), against a real server.

The quick layer must give the answer the route ``download_blob`` gives. A request with
``If-None-Match`` naming another file always reaches the route and, the file being
unchanged, the route answers it with the whole file (or the range): that is the route's
answer to compare with.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from support.api import Api, LiveServer
from support.sync import make_template

MiB = 1024 * 1024
# Never this file's etag: the quick layer passes the request on, the route serves the file.
TO_THE_ROUTE = {"If-None-Match": '"not-this-file"'}
# Differ from one answer to the next whoever gives it.
VOLATILE = {"date", "x-request-id"}
IMMUTABLE = "private, max-age=31536000, immutable"


def _docx_like(size: int) -> bytes:
    """Random bytes that pass as a docx (only the first bytes are checked)."""
    return b"PK\x03\x04" + secrets.token_bytes(size - 4)


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.multi_items() if k not in VOLATILE)


def _assert_same(quick: httpx.Response, route: httpx.Response) -> None:
    assert quick.status_code == route.status_code, (quick.status_code, route.status_code)
    assert _headers(quick) == _headers(route)
    assert quick.content == route.content


@dataclass
class Files:
    reader: Api  # may use the templates below
    outsider: Api  # a plain user who may not
    small: bytes
    small_sha: str
    big: bytes  # over three chunks of the quick layer, not a multiple of one
    big_sha: str
    hidden_sha: str  # only in a template still in test: plain users don't see it


@pytest.fixture(scope="module")
def files(live: LiveServer) -> Files:
    reader, me = live.new_user()
    outsider, _ = live.new_user()
    small = _docx_like(5000)
    big = _docx_like(3 * MiB + 17)
    hidden = _docx_like(700)
    use = [f"user:{me['id']}"]
    tag = secrets.token_hex(3)
    make_template(live, f"Small {tag}", use=use, data=small)
    make_template(live, f"Big {tag}", use=use, data=big)
    make_template(live, f"Hidden {tag}", status="in_test", data=hidden)
    return Files(
        reader,
        outsider,
        small,
        hashlib.sha256(small).hexdigest(),
        big,
        hashlib.sha256(big).hexdigest(),
        hashlib.sha256(hidden).hexdigest(),
    )


# --- the plain download -------------------------------------------------------------------


def test_plain_download_has_the_routes_headers_and_bytes(files: Files) -> None:
    path = f"/blobs/{files.small_sha}"
    quick = files.reader.get(path)
    assert quick.status_code == 200, quick.text
    assert quick.content == files.small
    assert quick.headers["etag"] == f'"{files.small_sha}"'
    assert quick.headers["cache-control"] == IMMUTABLE
    assert quick.headers["content-type"] == "application/octet-stream"
    assert quick.headers["accept-ranges"] == "bytes"
    assert quick.headers["content-length"] == str(len(files.small))
    assert quick.headers["last-modified"].endswith(" GMT")
    assert "content-range" not in quick.headers
    assert quick.headers["x-request-id"]
    route = files.reader.get(path, headers=TO_THE_ROUTE)
    _assert_same(quick, route)


def test_large_file_arrives_complete(files: Files) -> None:
    path = f"/blobs/{files.big_sha}"
    quick = files.reader.get(path)
    assert quick.status_code == 200
    assert quick.headers["content-length"] == str(len(files.big))
    assert hashlib.sha256(quick.content).hexdigest() == files.big_sha
    _assert_same(quick, files.reader.get(path, headers=TO_THE_ROUTE))
    # Streamed in small pieces too, as clients read it.
    with files.reader.http.stream("GET", path) as streamed:
        assert streamed.status_code == 200
        assert b"".join(streamed.iter_bytes(64 * 1024)) == files.big


def test_empty_file_downloads_as_empty(live: LiveServer) -> None:
    sha = hashlib.sha256(b"").hexdigest()
    uploaded = live.admin.put(f"/blobs/{sha}", content=b"")
    if not uploaded.is_success:
        pytest.skip(f"the server refuses empty files ({uploaded.status_code})")
    # A system administrator may read every stored file.
    quick = live.admin.get(f"/blobs/{sha}")
    assert quick.status_code == 200
    assert quick.content == b""
    assert quick.headers["content-length"] == "0"
    _assert_same(quick, live.admin.get(f"/blobs/{sha}", headers=TO_THE_ROUTE))
    # Any range of an empty file is unsatisfiable.
    refused = live.admin.get(f"/blobs/{sha}", headers={"Range": "bytes=0-"})
    assert refused.status_code == 416
    assert refused.headers["content-range"] == "bytes */0"


# --- ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [
        pytest.param(lambda n: "bytes=100-", 100, None, id="N-"),
        pytest.param(lambda n: f"bytes={n - 1}-", -1, None, id="last-byte"),
        pytest.param(lambda n: "bytes=100-199", 100, 199, id="N-M"),
        pytest.param(lambda n: "bytes=7-7", 7, 7, id="one-byte"),
        pytest.param(lambda n: f"bytes=100-{n + 1000}", 100, None, id="M-beyond-end"),
        pytest.param(lambda n: f"bytes=1-{n - 1}", 1, None, id="M-is-end"),
    ],
)
def test_a_single_range_is_answered_with_206(
    files: Files, spec: Callable[[int], str], first: int, last: int | None
) -> None:
    data, size = files.small, len(files.small)
    start = first % size
    end = size - 1 if last is None else last
    path = f"/blobs/{files.small_sha}"
    header = {"Range": spec(size)}
    quick = files.reader.get(path, headers=header)
    assert quick.status_code == 206, quick.text
    assert quick.content == data[start : end + 1]
    assert quick.headers["content-range"] == f"bytes {start}-{end}/{size}"
    assert quick.headers["content-length"] == str(end + 1 - start)
    assert quick.headers["etag"] == f'"{files.small_sha}"'
    assert quick.headers["cache-control"] == IMMUTABLE
    _assert_same(quick, files.reader.get(path, headers={**header, **TO_THE_ROUTE}))


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(lambda n: f"bytes={MiB - 10}-{2 * MiB + 9}", id="across-chunks"),
        pytest.param(lambda n: f"bytes={MiB}-", id="from-a-chunk-boundary"),
        pytest.param(lambda n: f"bytes=5-{MiB + 4}", id="exactly-one-chunk"),
        pytest.param(lambda n: f"bytes={n - 3 * MiB}-{n + 5}", id="long-tail-clamped"),
    ],
)
def test_ranges_of_a_large_file(files: Files, spec: Callable[[int], str]) -> None:
    path = f"/blobs/{files.big_sha}"
    header = {"Range": spec(len(files.big))}
    quick = files.reader.get(path, headers=header)
    assert quick.status_code == 206
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", quick.headers["content-range"])
    assert match is not None
    start, end, total = (int(g) for g in match.groups())
    assert total == len(files.big)
    assert quick.content == files.big[start : end + 1]
    _assert_same(quick, files.reader.get(path, headers={**header, **TO_THE_ROUTE}))


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(lambda n: "bytes=0-", id="0-"),
        pytest.param(lambda n: f"bytes=0-{n - 1}", id="0-last"),
        pytest.param(lambda n: f"bytes=0-{n + 100}", id="0-beyond"),
    ],
)
def test_a_range_covering_the_whole_file_is_answered_as_the_route_does(
    files: Files, spec: Callable[[int], str]
) -> None:
    size = len(files.small)
    path = f"/blobs/{files.small_sha}"
    header = {"Range": spec(size)}
    route = files.reader.get(path, headers={**header, **TO_THE_ROUTE})
    assert route.status_code == 206
    assert route.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert route.content == files.small
    _assert_same(files.reader.get(path, headers=header), route)


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(lambda n: f"bytes={n}-", id="at-size"),
        pytest.param(lambda n: f"bytes={n + 10}-", id="beyond-size"),
        pytest.param(lambda n: f"bytes={n}-{n + 10}", id="at-size-with-end"),
    ],
)
def test_a_range_beyond_the_file_gets_416_from_the_route(
    files: Files, spec: Callable[[int], str]
) -> None:
    size = len(files.small)
    path = f"/blobs/{files.small_sha}"
    header = {"Range": spec(size)}
    refused = files.reader.get(path, headers=header)
    assert refused.status_code == 416
    assert refused.headers["content-range"] == f"bytes */{size}"
    assert files.small not in refused.content
    _assert_same(refused, files.reader.get(path, headers={**header, **TO_THE_ROUTE}))


def test_several_ranges_get_multipart_from_the_route(files: Files) -> None:
    size = len(files.small)
    quick = files.reader.get(f"/blobs/{files.small_sha}", headers={"Range": "bytes=0-0,5-6"})
    assert quick.status_code == 206
    content_type = quick.headers["content-type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert quick.headers["content-length"] == str(len(quick.content))
    body = quick.content
    assert body.endswith(b"--" + boundary + b"--")
    parts = body.split(b"--" + boundary)[1:-1]
    assert len(parts) == 2
    for part, (start, end) in zip(parts, [(0, 0), (5, 6)], strict=True):
        head, _, rest = part.partition(b"\r\n\r\n")
        assert f"Content-Range: bytes {start}-{end}/{size}".encode() in head
        assert rest == files.small[start : end + 1] + b"\r\n"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("bytes=-100", id="suffix"),
        pytest.param("bytes=20-10", id="end-before-start"),
        pytest.param("bytes=abc-", id="not-a-number"),
        pytest.param("items=0-10", id="other-unit"),
        pytest.param("bytes=0-10, 3-4", id="overlapping"),
        pytest.param("BYTES=10-19", id="upper-case-unit"),
    ],
)
def test_other_range_forms_are_answered_by_the_route(files: Files, value: str) -> None:
    path = f"/blobs/{files.small_sha}"
    quick = files.reader.get(path, headers={"Range": value})
    route = files.reader.get(path, headers={"Range": value, **TO_THE_ROUTE})
    assert quick.status_code == route.status_code
    if not quick.headers["content-type"].startswith("multipart/"):  # random boundaries
        _assert_same(quick, route)
    if value == "bytes=-100":
        assert quick.status_code == 206 and quick.content == files.small[-100:]


# --- conditional requests and HEAD ------------------------------------------------------------


def test_if_none_match_with_the_files_etag_gets_304(files: Files) -> None:
    etag = f'"{files.small_sha}"'
    for headers in ({"If-None-Match": etag}, {"If-None-Match": etag, "Range": "bytes=0-9"}):
        cached = files.reader.get(f"/blobs/{files.small_sha}", headers=headers)
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == IMMUTABLE


def test_if_range_goes_to_the_route(files: Files) -> None:
    path = f"/blobs/{files.small_sha}"
    matching = files.reader.get(
        path, headers={"Range": "bytes=10-19", "If-Range": f'"{files.small_sha}"'}
    )
    assert matching.status_code == 206
    assert matching.content == files.small[10:20]
    stale = files.reader.get(path, headers={"Range": "bytes=10-19", "If-Range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == files.small


def test_head_is_answered_by_the_route_as_get_without_the_bytes(files: Files) -> None:
    path = f"/blobs/{files.small_sha}"
    get, head = files.reader.get(path), files.reader.request("HEAD", path)
    assert head.status_code == 200
    assert head.content == b""
    assert _headers(head) == _headers(get)
    assert head.headers["content-length"] == str(len(files.small))
    ranged = files.reader.request("HEAD", path, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 0-9/{len(files.small)}"
    assert ranged.content == b""
    cached = files.reader.request("HEAD", path, headers={"If-None-Match": f'"{files.small_sha}"'})
    assert cached.status_code == 304
    unknown = files.reader.request("HEAD", f"/blobs/{'0' * 64}")
    assert unknown.status_code == 404 and unknown.content == b""


# --- refusals -------------------------------------------------------------------------------


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert not response.content.startswith(b"PK\x03\x04")  # none of the file's bytes
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["code"] == code
    return body


@pytest.mark.parametrize("range_header", [None, "bytes=10-19"], ids=["whole", "range"])
def test_without_a_valid_token_the_route_answers_401(
    live: LiveServer, files: Files, range_header: str | None
) -> None:
    path = f"{live.url}/api/v1/blobs/{files.small_sha}"
    extra = {"Range": range_header} if range_header else {}
    signed_out, _ = live.new_user()
    signed_out.ok("POST", "/auth/logout")
    tokens = {
        "none": {},
        "unknown": {"Authorization": "Bearer not-a-token"},
        "scheme-only": {"Authorization": "Bearer"},
        "other-scheme": {"Authorization": f"Basic {files.reader.token}"},
        "revoked": {"Authorization": f"Bearer {signed_out.token}"},
    }
    anonymous = live.anonymous().http
    for name, auth in tokens.items():
        response = anonymous.get(path, headers={**auth, **extra})
        body = _problem(response, 401, "signed_out")
        assert body["detail"], name
        assert body["request_id"] == response.headers["x-request-id"], name


@pytest.mark.parametrize("order", ["bad-then-reader", "outsider-then-reader"])
def test_two_authorization_headers_are_judged_as_the_route_does(
    live: LiveServer, files: Files, order: str
) -> None:
    first = "not-a-token" if order == "bad-then-reader" else files.outsider.token
    headers = [
        ("Authorization", f"Bearer {first}"),
        ("Authorization", f"Bearer {files.reader.token}"),
    ]
    url = f"{live.url}/api/v1/blobs/{files.small_sha}"
    raw = live.anonymous().http
    route = raw.get(url, headers=[*headers, *TO_THE_ROUTE.items()])
    assert route.status_code in (401, 404)
    quick = raw.get(url, headers=headers)
    assert quick.status_code == route.status_code


def test_a_file_the_caller_may_not_see_is_404_like_an_unknown_one(files: Files) -> None:
    # The reader sees the file: the refusals below are about permission, not the file.
    assert files.reader.get(f"/blobs/{files.small_sha}").status_code == 200
    unknown_sha = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
    cases = [
        (files.outsider, files.small_sha),  # a template for another user
        (files.reader, files.hidden_sha),  # a template still in test
        (files.outsider, files.hidden_sha),
        (files.reader, unknown_sha),
    ]
    shapes = set()
    for client, sha in cases:
        for headers in ({}, {"Range": "bytes=10-19"}):
            response = client.get(f"/blobs/{sha}", headers=headers)
            body = _problem(response, 404, "not_found")
            assert sha in str(body["detail"])
            assert "etag" not in response.headers
            shapes.add((body["title"], str(body["detail"]).replace(sha, "SHA")))
    assert len(shapes) == 1, shapes  # nothing tells a hidden file from a missing one


# --- admission: a download holds a heavy slot, and gives it back ----------------------------


def _poll_until_admitted(live: LiveServer, seconds: float) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    while True:
        response = live.admin.get("/sync/changes")  # no cursor: a heavy request
        waited = time.monotonic() - started
        if response.status_code != 503 or waited > seconds:
            return response, waited
        time.sleep(0.05)


def test_a_download_holds_the_slot_and_a_client_going_away_frees_it(
    one_slot: LiveServer,
) -> None:
    live = one_slot
    # Larger than loopback's socket buffers: the server can't finish sending it while the
    # reader waits, so the download keeps its slot.
    big = _docx_like(64 * MiB)
    sha = live.admin.upload(big)
    small_sha = live.admin.upload(_docx_like(3000))
    # A download that runs to its end gives the slot back.
    assert live.admin.get(f"/blobs/{small_sha}").status_code == 200
    assert live.admin.get("/sync/changes").status_code == 200

    holder = httpx.Client(base_url=live.url, timeout=30, trust_env=False)
    # Held by another device: one device alone may not take every slot (it would get
    # 429), the cap applies to everybody's requests together.
    auth = {"Authorization": f"Bearer {live.login('root').token}"}
    for held_headers in ({}, {"Range": "bytes=1000-"}):
        with holder.stream("GET", f"/api/v1/blobs/{sha}", headers={**auth, **held_headers}) as held:
            assert held.status_code == (206 if held_headers else 200)
            # Keep the iterator: collected, it would close the connection early.
            chunks = held.iter_bytes(64 * 1024)
            received = len(next(chunks))
            assert 0 < received < len(big)
            refused = live.admin.get("/sync/changes")
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert 2 <= int(refused.headers["Retry-After"]) <= 10
            # Another download needs a slot too.
            assert live.admin.get(f"/blobs/{small_sha}").status_code == 503
            del chunks
        # Closed with most of the file unread: the server sees the client go away.
        admitted, waited = _poll_until_admitted(live, seconds=60)
        assert admitted.status_code == 200, (admitted.status_code, waited)
    holder.close()
    # Nothing failed on the server's side either.
    log = live.process.log_text(current_run_only=True)
    assert "Traceback" not in log, log[-4000:]
    # And it still serves the file whole.
    assert hashlib.sha256(live.admin.get(f"/blobs/{sha}").content).hexdigest() == sha
