"""The message catalogues: complete in both languages, chosen as expected, formats per locale."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from docshelf.domain.errors import NotFound
from docshelf.i18n import negotiate, normalize, ntr, system_language, tr, using
from docshelf.i18n.catalogues import compile_language
from docshelf.i18n.formats import format_datetime, format_number, format_percent, format_size
from docshelf.i18n.tools import problems


def test_catalogues_hold_every_source_string_translated_in_both_languages() -> None:
    # Also: no string left out of the code's areas, no translation dropping a {field},
    # German written the Swiss way throughout. `make catalogues` updates them.
    assert problems() == []


def test_each_language_compiles() -> None:
    for language in ("de", "en"):
        assert compile_language(language).startswith(b"\xde\x12\x04\x95")  # the .mo magic


def test_texts_follow_the_language_of_the_context() -> None:
    with using("de"):
        assert tr("Not found") == "Nicht gefunden"
        assert NotFound("x").title == "Nicht gefunden"
        with using("en"):
            assert NotFound("x").title == "Not found"
    with using("fr"):  # unknown: the process default
        assert tr("Not found") == "Not found"


def test_a_string_without_translation_reads_as_its_source_with_fields_filled() -> None:
    with using("de"):
        assert tr("no such text {x}", x=3) == "no such text 3"
        assert ntr("{n} thing", "{n} things", 1) == "1 thing"
        assert ntr("{n} thing", "{n} things", 2000) == "2.000 things"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "en"),
        ("fr, de;q=0.1, en;q=0", "de"),
        ("*", None),
        ("", None),
        (None, None),
        ("de;q=abc, en;q=0.5", "en"),
    ],
)
def test_accept_language_picks_the_best_of_ours(header: str | None, expected: str | None) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "de_CH.UTF-8"}, "de"),
        ({"LANG": "de_CH.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8", "LC_ALL": "de_DE.UTF-8"}, "de"),
        ({"LANGUAGE": "fr:de", "LANG": "fr_FR.UTF-8"}, "de"),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "fr_FR.UTF-8"}, None),
        ({}, None),
    ],
)
def test_system_language_reads_the_locale_variables(
    environ: dict[str, str], expected: str | None
) -> None:
    assert system_language(environ) == expected


def test_normalize_accepts_the_usual_spellings() -> None:
    assert [normalize(t) for t in ("de_CH.UTF-8", "de-AT", "DE", "en@euro", "it", "")] == [
        "de",
        "de",
        "de",
        "en",
        None,
        None,
    ]


def test_numbers_sizes_and_dates_follow_the_language() -> None:
    when = datetime(2026, 11, 28, 19, 5, tzinfo=UTC)
    with using("de"):
        assert format_size(197_656_576) == "188,5 MB"
        assert format_size(512) == "512 B"
        assert format_number(1234.5, 1) == "1.234,5"
        assert format_percent(60, 100) == "60 %"
        assert format_datetime(when) == "28.11.2026 19:05"
    with using("en"):
        assert format_size(197_656_576) == "188.5 MB"
        assert format_number(1234.5, 1) == "1,234.5"
        assert format_percent(3, 2) == "100%"
        assert format_datetime(when) == "28/11/2026 19:05"


def test_english_leftovers_finds_untranslated_texts_by_whole_words() -> None:
    from docshelf.i18n.tools import english_leftovers

    assert english_leftovers("Fehler: Not found (Datei x)") == ["Not found"]
    assert english_leftovers("Nicht gefunden") == []
    assert english_leftovers("NotFoundation") == []


def test_english_leftovers_ignore_paths_and_addresses() -> None:
    from docshelf.i18n.tools import english_leftovers

    assert english_leftovers("Protokoll: /tmp/x/Not found/client.log") == []
    assert english_leftovers("Server http://host/Not found") == []
    assert english_leftovers("1 unbekanntes Tag: Not:found") == []
    assert english_leftovers("Fehler: Not found") == ["Not found"]
