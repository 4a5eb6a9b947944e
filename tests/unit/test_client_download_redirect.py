"""A download the server redirects to object storage (``--blob-redirect``): the client
follows it only to an http(s) URL, without its token, keeps the Range, and treats a
refusal there as something the next sync retries."""

from __future__ import annotations

import httpx
import pytest

from docshelf.client.errors import ProtocolMismatch, ServerUnreachable
from docshelf.client.remote import Remote

SHA = "ab" * 32
STORE = "https://store.example/bucket/blobs/ab/ab/" + SHA + "?X-Amz-Signature=x"


def remote_with(store_answer: httpx.Response, location: str = STORE) -> tuple[Remote, list]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "server.test":
            return httpx.Response(307, headers={"Location": location})
        return store_answer

    http = httpx.Client(transport=httpx.MockTransport(answer))
    return Remote("http://server.test", "secret-token", http=http), seen


def test_follows_to_the_store_without_the_token() -> None:
    remote, seen = remote_with(httpx.Response(200, content=b"file bytes"))
    with remote.fetch_file(SHA) as chunks:
        assert b"".join(chunks) == b"file bytes"
    to_server, to_store = seen
    assert to_server.headers["Authorization"] == "Bearer secret-token"
    assert str(to_store.url) == STORE
    assert "Authorization" not in to_store.headers


def test_a_resumed_download_keeps_its_range() -> None:
    remote, seen = remote_with(httpx.Response(206, content=b"rest"))
    with remote.fetch_file(SHA, offset=100) as chunks:
        assert b"".join(chunks) == b"rest"
    assert seen[1].headers["Range"] == "bytes=100-"


def test_a_store_that_ignores_the_range_is_refused() -> None:
    remote, _ = remote_with(httpx.Response(200, content=b"everything"))
    with pytest.raises(ProtocolMismatch), remote.fetch_file(SHA, offset=100):
        pass


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://store.example/x", "/relative"])
def test_only_http_urls_are_followed(location: str) -> None:
    remote, seen = remote_with(httpx.Response(200, content=b"x"), location)
    with pytest.raises(ProtocolMismatch), remote.fetch_file(SHA):
        pass
    assert len(seen) == 1


def test_an_expired_link_is_retried_at_the_next_sync() -> None:
    remote, _ = remote_with(httpx.Response(403, content=b"<Error>expired</Error>"))
    with pytest.raises(ServerUnreachable), remote.fetch_file(SHA):
        pass
