"""The server's pack answer in pieces: files read straight into each piece's own buffer."""

from __future__ import annotations

import io

import pytest

from docshelf.protocol import pack
from docshelf.server.api.routes import blobs


def _opened(data: dict[str, bytes | None]) -> list[blobs._Opened]:
    return [
        blobs._Opened(pack.header(sha, None), None, 0)
        if content is None
        else blobs._Opened(
            pack.header(sha, len(content)), io.BufferedReader(io.BytesIO(content)), len(content)
        )
        for sha, content in data.items()
    ]


@pytest.mark.parametrize("piece", [7, 64, 100, 1 << 20])
def test_pieces_hold_the_frames_in_order_whatever_their_size(
    monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    monkeypatch.setattr(blobs, "_PACK_PIECE", piece)
    data = {"a" * 64: b"x" * 150, "b" * 64: None, "c" * 64: b"", "d" * 64: bytes(range(256))}
    opened = _opened(data)
    length = sum(len(item.header) + item.size for item in opened)
    pieces = [bytes(p) for p in blobs._frames(opened, length)]
    expected = b"".join(
        pack.header(s, None if d is None else len(d)) + (d or b"") for s, d in data.items()
    )
    assert b"".join(pieces) == expected
    assert all(len(p) == min(piece, len(expected) - i * piece) for i, p in enumerate(pieces))
    assert all(item.file is None or item.file.closed for item in opened)


def test_a_file_that_shrank_ends_the_answer_and_every_file_is_closed() -> None:
    opened = _opened({"a" * 64: b"12345", "b" * 64: b"67"})
    opened[0].size = 9  # the store said 9 bytes; 5 are there
    length = sum(len(item.header) + item.size for item in opened)
    with pytest.raises(OSError):
        list(blobs._frames(opened, length))
    assert all(item.file is not None and item.file.closed for item in opened)
