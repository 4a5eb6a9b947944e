"""The frames of ``POST /blobs/pack`` (protocol/pack.py): written with ``header``, read back
with ``read_frames`` whatever the chunks the network cuts them into; malformed answers are
refused with InvalidInput, never misread."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from docshelf.domain.errors import InvalidInput
from docshelf.protocol import pack


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# (sha, bytes or None for "not served"), in the order of the answer.
FILES: list[tuple[str, bytes | None]] = [
    (sha_of(b"first"), b"first file\n with a newline and \x00 bytes"),
    (sha_of(b""), b""),  # zero-length
    (sha_of(b"hidden"), None),  # not served
    (sha_of(b"digits"), b"0123456789" * 500),
    (sha_of(b"looks like a header"), f"{sha_of(b'x')} 12\n".encode() * 3),
    (sha_of(b"last"), bytes(range(256)) * 40),
]


def answer(files: list[tuple[str, bytes | None]]) -> bytes:
    return b"".join(
        pack.header(sha, None if data is None else len(data)) + (data or b"") for sha, data in files
    )


def cut(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def read_all(stream: Iterable[bytes]) -> list[tuple[str, bytes | None]]:
    return [
        (frame.sha256, None if frame.size is None else b"".join(frame.chunks))
        for frame in pack.read_frames(stream)
    ]


# --- the header line ----------------------------------------------------------------------


def test_header_lines() -> None:
    sha = sha_of(b"a")
    assert pack.header(sha, 12) == f"{sha} 12\n".encode()
    assert pack.header(sha, 0) == f"{sha} 0\n".encode()
    assert pack.header(sha, None) == f"{sha} -\n".encode()


# --- round trips ----------------------------------------------------------------------------


def test_round_trip_in_one_chunk() -> None:
    frames = list(pack.read_frames([answer(FILES)]))
    assert [(f.sha256, f.size) for f in frames] == [
        (sha, None if data is None else len(data)) for sha, data in FILES
    ]
    # Read in order, each frame's bytes before the next frame: as the client does.
    assert read_all([answer(FILES)]) == FILES


@pytest.mark.parametrize("size", [1, 2, 7, 64, 81, 82, 4096, 1 << 20])
def test_any_chunk_boundaries_give_the_same_frames(size: int) -> None:
    assert read_all(cut(answer(FILES), size)) == FILES


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=60))
def test_arbitrary_cuts_give_the_same_frames(sizes: list[int]) -> None:
    data = answer(FILES)
    chunks: list[bytes] = []
    start = 0
    for size in sizes:
        chunks.append(data[start : start + size])
        start += size
    chunks.append(data[start:])
    assert read_all(chunks) == FILES


def test_empty_chunks_are_ignored() -> None:
    chunks = [piece for c in cut(answer(FILES), 5) for piece in (b"", c, b"")]
    assert read_all(chunks) == FILES


def test_an_empty_answer_has_no_frames() -> None:
    assert list(pack.read_frames([])) == []
    assert list(pack.read_frames([b"", b""])) == []


def test_only_not_served_frames() -> None:
    files: list[tuple[str, bytes | None]] = [(sha_of(bytes([i])), None) for i in range(5)]
    assert read_all(cut(answer(files), 3)) == files


def test_the_longest_header_is_accepted() -> None:
    sha = sha_of(b"big")
    line = pack.header(sha, 10**15 - 1)
    assert len(line) == 64 + 1 + 15 + 1
    frame = next(pack.read_frames([line]))
    assert (frame.sha256, frame.size) == (sha, 10**15 - 1)


# --- frames the caller doesn't read -------------------------------------------------------


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_unread_frames_are_skipped(size: int) -> None:
    got: list[tuple[str, bytes | None]] = []
    for index, frame in enumerate(pack.read_frames(cut(answer(FILES), size))):
        if index % 2 == 0:
            continue  # not a byte read
        got.append((frame.sha256, None if frame.size is None else b"".join(frame.chunks)))
    assert got == [entry for index, entry in enumerate(FILES) if index % 2 == 1]


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_partly_read_frames_are_skipped(size: int) -> None:
    served = [(sha, data) for sha, data in FILES if data]
    frames = pack.read_frames(cut(answer(served), size))
    first = next(frames)
    assert first.sha256 == served[0][0]
    next(first.chunks)  # one chunk of it, not the rest
    assert [(f.sha256, b"".join(f.chunks)) for f in frames] == served[1:]


def test_only_the_file_s_bytes_are_in_its_frame() -> None:
    frames = pack.read_frames([answer(FILES)])
    for sha, data in FILES:
        frame = next(frames)
        assert frame.sha256 == sha
        assert frame.size == (None if data is None else len(data))
        assert b"".join(frame.chunks) == (data or b"")
    assert next(frames, None) is None


# --- malformed answers ------------------------------------------------------------------------

GOOD = pack.header(sha_of(b"ok"), 3) + b"abc"


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"not a header\n", id="words"),
        pytest.param(sha_of(b"x").upper().encode() + b" 3\n", id="upper-case-hex"),
        pytest.param(sha_of(b"x")[:63].encode() + b" 3\n", id="short-hash"),
        pytest.param(sha_of(b"x").encode() + b"3\n", id="no-space"),
        pytest.param(sha_of(b"x").encode() + b"  3\n", id="two-spaces"),
        pytest.param(sha_of(b"x").encode() + b" -3\n", id="negative-size"),
        pytest.param(sha_of(b"x").encode() + b" 3 \n", id="trailing-space"),
        pytest.param(sha_of(b"x").encode() + b" 3\r\n", id="crlf"),
        pytest.param(sha_of(b"x").encode() + b" \n", id="no-size"),
        pytest.param(sha_of(b"x").encode() + b" 1234567890123456\n", id="size-16-digits"),
        pytest.param(sha_of(b"x").encode() + b" --\n", id="two-dashes"),
        pytest.param(b"\n", id="empty-line"),
    ],
)
@pytest.mark.parametrize("where", ["first", "after-a-frame"])
def test_a_bad_header_line_is_refused(line: bytes, where: str) -> None:
    data = line + b"abc" if where == "first" else GOOD + line + b"abc"
    for size in (1, 7, len(data)):
        with pytest.raises(InvalidInput):
            read_all(cut(data, size))


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_a_too_long_header_without_newline_is_refused(size: int) -> None:
    endless = b"a" * 10_000  # no newline anywhere
    with pytest.raises(InvalidInput):
        read_all(cut(endless, size))
    with pytest.raises(InvalidInput):
        read_all(cut(GOOD + endless, size))


def test_the_header_limit_is_not_reading_the_whole_stream() -> None:
    consumed = 0

    def endless() -> Iterator[bytes]:
        nonlocal consumed
        while True:
            consumed += 1
            yield b"f" * 10

    with pytest.raises(InvalidInput):
        read_all(endless())
    assert consumed < 20


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(sha_of(b"x")[:10].encode(), id="in-the-hash"),
        pytest.param(sha_of(b"x").encode() + b" 12", id="before-the-newline"),
        pytest.param(sha_of(b"x").encode() + b" -", id="not-served-without-newline"),
    ],
)
@pytest.mark.parametrize("size", [1, 7, 4096])
def test_an_answer_ending_inside_a_header_is_refused(tail: bytes, size: int) -> None:
    with pytest.raises(InvalidInput):
        read_all(cut(tail, size))
    with pytest.raises(InvalidInput):
        read_all(cut(GOOD + tail, size))


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_an_answer_ending_before_a_file_s_end_is_refused(size: int) -> None:
    sha = sha_of(b"cut")
    data = GOOD + pack.header(sha, 100) + b"x" * 60
    frames = pack.read_frames(cut(data, size))
    first = next(frames)
    assert b"".join(first.chunks) == b"abc"
    second = next(frames)
    assert (second.sha256, second.size) == (sha, 100)
    received = bytearray()
    with pytest.raises(InvalidInput):
        for chunk in second.chunks:
            received += chunk
    # What did arrive was handed over: the client keeps it to resume.
    assert bytes(received) == b"x" * 60


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_an_unread_frame_cut_short_is_refused_when_skipped(size: int) -> None:
    data = pack.header(sha_of(b"cut"), 100) + b"x" * 60
    frames = pack.read_frames(cut(data, size))
    next(frames)  # not read
    with pytest.raises(InvalidInput):
        next(frames)


def test_a_zero_length_file_at_the_end_is_whole() -> None:
    sha = sha_of(b"")
    assert read_all([GOOD + pack.header(sha, 0)]) == [(sha_of(b"ok"), b"abc"), (sha, b"")]


def test_the_message_says_what_to_do() -> None:
    with pytest.raises(InvalidInput) as caught:
        read_all([b"garbage\n"])
    assert caught.value.title == "Malformed answer"
    assert "sync again" in str(caught.value.message)


# --- the request ------------------------------------------------------------------------------


def test_pack_request_takes_one_to_max_files() -> None:
    shas = [sha_of(str(i).encode()) for i in range(pack.MAX_FILES + 1)]
    assert pack.PackRequest(files=shas[:1]).files == shas[:1]
    assert pack.PackRequest(files=shas[: pack.MAX_FILES]).files == shas[: pack.MAX_FILES]
    with pytest.raises(ValidationError):
        pack.PackRequest(files=[])
    with pytest.raises(ValidationError):
        pack.PackRequest(files=shas)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("0" * 63, id="63-digits"),
        pytest.param("0" * 65, id="65-digits"),
        pytest.param("A" * 64, id="upper-case"),
        pytest.param("g" * 64, id="not-hex"),
        pytest.param("../" + "0" * 61, id="path"),
        pytest.param("", id="empty"),
    ],
)
def test_pack_request_refuses_a_bad_sha(bad: str) -> None:
    with pytest.raises(ValidationError):
        pack.PackRequest(files=[sha_of(b"ok"), bad])


def test_pack_request_refuses_unknown_fields_and_wrong_types() -> None:
    with pytest.raises(ValidationError):
        pack.PackRequest.model_validate({"files": [sha_of(b"ok")], "extra": 1})
    with pytest.raises(ValidationError):
        pack.PackRequest.model_validate({"files": sha_of(b"ok")})
