"""The desktop app's words and formats, without a window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from docshelf.client.status import Phase, Status, SyncState
from docshelf.desktop.documents import fresh_path
from docshelf.desktop.footer import problem_text, progress_text
from docshelf.desktop.i18n import Texts, known_texts, language_for_locale

WHEN = datetime(2026, 11, 28, 19, 5, tzinfo=timezone(timedelta(hours=1)))


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    import string

    for key, (german, english) in known_texts().items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (german, english)]
        assert german and english, key
        assert fields[0] == fields[1], key


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Letzte Aktualisierung: 28.11.2026 19:05"), ("en", "Last update: 28/11/2026 19:05")],
)
def test_last_update_as_users_know_it(language: str, expected: str) -> None:
    texts = Texts(language)
    local = datetime(2026, 11, 28, 19, 5).astimezone()  # 19:05 on this machine's clock
    assert texts("footer.last_update", when=texts.when(local)) == expected
    assert texts("footer.last_update", when=texts.when(None)).endswith(": —")


@pytest.mark.parametrize(
    ("locale", "language"), [("de_CH", "de"), ("de-DE", "de"), ("en_GB", "en"), ("fr_CH", "en")]
)
def test_language_follows_the_system_locale(locale: str, language: str) -> None:
    assert language_for_locale(locale) == language


def test_progress_says_phase_n_of_m_and_bytes() -> None:
    status = Status(
        state=SyncState.SYNCING,
        phase=Phase.FILES,
        items_done=3,
        items_total=10,
        bytes_done=1_500_000,
    )
    assert progress_text(status, Texts("de")) == "Dateien laden 3 von 10 · 1,5 MB"
    assert progress_text(status, Texts("en")) == "Downloading files 3 of 10 · 1.5 MB"
    by_bytes = Status(state=SyncState.SYNCING, phase=Phase.FILES, bytes_done=50, bytes_total=200)
    assert progress_text(by_bytes, Texts("en")) == "Downloading files 25% · 50 B"


def test_problems_say_what_happened() -> None:
    offline = Status(state=SyncState.OFFLINE, offline_since=WHEN)
    assert problem_text(offline, Texts("de")).startswith("Offline seit ")
    error = Status(state=SyncState.ERROR, message="Server refused: no", conflicts=2)
    assert problem_text(error, Texts("en")) == "Error: Server refused · 2 conflict(s)"
    assert problem_text(Status(state=SyncState.IDLE), Texts("en")) == ""


def test_fresh_names_never_reuse_an_existing_file(tmp_path: Path) -> None:
    first = fresh_path(tmp_path, "Brief: an/Kunden", ".docx", WHEN)
    assert first.name == "Brief_ an_Kunden 2026-11-28.docx"
    first.write_bytes(b"x")
    assert fresh_path(tmp_path, "Brief: an/Kunden", ".docx", WHEN).name.endswith(" (2).docx")
