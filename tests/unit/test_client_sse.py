"""The SSE parser of the change-hint stream: whole events out of pieces cut anywhere."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docshelf.client.errors import ProtocolMismatch
from docshelf.client.sse import MAX_LINE, Event, SseParser

STREAM = (
    b"retry: 5000\n"
    b"\n"
    b"event: ready\n"
    b'data: {"seq": 1234, "heartbeat_s": 20}\n'
    b"\n"
    b"event: hint\n"
    b'data: {"seq": 1240, "max_delay_ms": 5000}\n'
    b"\n"
    b": keepalive\n"
    b"\n"
    b"event: bye\n"
    b'data: {"reason": "lifetime", "reconnect_ms": 1000}\n'
    b"\n"
)
EXPECTED = [
    Event("ready", {"seq": 1234, "heartbeat_s": 20}),
    Event("hint", {"seq": 1240, "max_delay_ms": 5000}),
    Event("bye", {"reason": "lifetime", "reconnect_ms": 1000}),
]


def parse(*pieces: bytes) -> tuple[list[Event], SseParser]:
    parser = SseParser()
    events: list[Event] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    return events, parser


def test_the_spec_example_in_one_piece() -> None:
    events, parser = parse(STREAM)
    assert events == EXPECTED
    assert parser.retry_ms == 5000


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_crlf_and_cr_line_ends(newline: bytes) -> None:
    events, _ = parse(STREAM.replace(b"\n", newline))
    assert events == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=20), st.booleans())
def test_pieces_cut_anywhere_give_the_same_events(cuts: list[int], crlf: bool) -> None:
    stream = STREAM.replace(b"\n", b"\r\n") if crlf else STREAM
    bounds = sorted({0, len(stream), *(min(c, len(stream)) for c in cuts)})
    events, _ = parse(*(stream[a:b] for a, b in itertools.pairwise(bounds)))
    assert events == EXPECTED


def test_cr_and_lf_in_separate_pieces_are_one_line_end() -> None:
    events, _ = parse(b'event: hint\r\ndata: {"seq": 1}\r', b"\n\r", b"\n")
    assert events == [Event("hint", {"seq": 1})]


def test_an_event_waits_for_its_blank_line() -> None:
    parser = SseParser()
    assert parser.feed(b'event: hint\ndata: {"seq": 1}\n') == []
    assert parser.feed(b"\n") == [Event("hint", {"seq": 1})]


def test_multi_line_data_is_joined_with_newlines() -> None:
    events, _ = parse(b'event: hint\ndata: {"seq":\ndata:  7,\ndata: "max_delay_ms": 0}\n\n')
    assert events == [Event("hint", {"seq": 7, "max_delay_ms": 0})]


def test_comments_and_unknown_fields_are_skipped() -> None:
    events, _ = parse(b": keepalive\n:\nfoo: bar\nevent: ready\ndata:{}\n\n")
    assert events == [Event("ready", {})]


def test_an_event_without_data_is_not_dispatched_and_resets_its_name() -> None:
    events, _ = parse(b"event: hint\n\ndata: {}\n\n")
    assert events == [Event("message", {})]


def test_id_and_utf8_split_inside_a_character() -> None:
    raw = 'id: 9\nevent: bye\ndata: {"reason": "größer"}\n\n'.encode()
    cut = raw.index("ö".encode()) + 1
    events, _ = parse(raw[:cut], raw[cut:])
    assert events == [Event("bye", {"reason": "größer"}, id="9")]


def test_byte_order_mark_at_the_start_is_ignored() -> None:
    events, _ = parse(b"\xef\xbb\xbfevent: ready\ndata: {}\n\n")
    assert events == [Event("ready", {})]


def test_bad_retry_values_are_ignored() -> None:
    _, parser = parse(b"retry: soon\nretry: -5\n\n")
    assert parser.retry_ms is None


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]"])
def test_data_that_is_not_a_json_object_is_a_protocol_mismatch(data: bytes) -> None:
    with pytest.raises(ProtocolMismatch):
        parse(b"event: hint\ndata: " + data + b"\n\n")


def test_an_endless_line_is_refused() -> None:
    parser = SseParser()
    with pytest.raises(ProtocolMismatch):
        for _ in range(MAX_LINE // 65536 + 2):
            parser.feed(b"x" * 65536)
