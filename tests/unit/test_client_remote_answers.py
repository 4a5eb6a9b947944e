"""Answers the client cannot trust: a deeply nested body from the server (or whatever
answers in its place) is an answer not understood, never a RecursionError."""

from __future__ import annotations

import httpx
import pytest

from docshelf.client.errors import ProtocolMismatch, RemoteError
from docshelf.client.remote import Remote

DEEP = b"[" * 100_000 + b"]" * 100_000
SHA = "a" * 64


def remote_answering(status: int, body: bytes) -> Remote:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    return Remote(
        "http://server.invalid", "token", http=httpx.Client(transport=httpx.MockTransport(answer))
    )


def test_a_deeply_nested_refusal_is_told_by_its_status() -> None:
    remote = remote_answering(400, DEEP)
    with pytest.raises(RemoteError) as refused:
        remote.upload_state(SHA)
    assert refused.value.http_status == 400
    assert refused.value.message == "Bad Request"


@pytest.mark.parametrize("call", ["upload_state", "changes", "me"])
def test_a_deeply_nested_answer_is_a_protocol_mismatch(call: str) -> None:
    remote = remote_answering(200, DEEP)
    with pytest.raises(ProtocolMismatch, match="does not understand"):
        if call == "upload_state":
            remote.upload_state(SHA)
        elif call == "changes":
            remote.changes(None)
        else:
            remote.me()
