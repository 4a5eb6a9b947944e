"""The header a client reports its last failed sync with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from docshelf.protocol import client_error

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_round_trip_keeps_time_and_any_text() -> None:
    at = datetime(2026, 11, 29, 11, 30, tzinfo=timezone(timedelta(hours=1)))
    value = client_error.encode(at, "Server nicht erreichbar: «Zürich» ✓")
    assert value.isascii()
    assert client_error.decode(value, NOW) == (
        at.astimezone(UTC),
        "Server nicht erreichbar: «Zürich» ✓",
    )


def test_long_messages_are_cut() -> None:
    value = client_error.encode(NOW, "x" * 5000)
    decoded = client_error.decode(value, NOW)
    assert decoded is not None and len(decoded[1]) == client_error.MAX_MESSAGE


def test_a_clock_ahead_counts_as_now() -> None:
    value = client_error.encode(NOW + timedelta(days=3), "late")
    assert client_error.decode(value, NOW) == (NOW, "late")


def test_malformed_values_are_ignored() -> None:
    for value in (
        "",
        "yesterday abc",
        "2026-11-29T12:00:00 bm8=",
        "2026-11-29T12:00:00+00:00",
        "2026-11-29T12:00:00+00:00 !!!",
    ):
        assert client_error.decode(value, NOW) is None, value


def test_codes_are_short_lowercase_words_or_nothing() -> None:
    assert client_error.decode_code(" offline ") == "offline"
    assert client_error.decode_code("server_busy") == "server_busy"
    for bad in (None, "", "Offline", "off line", "x" * 41, "offline;drop", "ß"):
        assert client_error.decode_code(bad) is None, bad
