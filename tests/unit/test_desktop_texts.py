"""The desktop app's words and formats, without a window: from the catalogue, per language."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from docshelf.client.status import Phase, Status, SyncState
from docshelf.desktop.documents import fresh_path
from docshelf.desktop.footer import last_update_text, problem_text, progress_text
from docshelf.desktop.language import FALLBACK, choose
from docshelf.i18n import using

WHEN = datetime(2026, 11, 28, 19, 5, tzinfo=timezone(timedelta(hours=1)))
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Letzte Aktualisierung: 28.11.2026 19:05"), ("en", "Last update: 28/11/2026 19:05")],
)
def test_last_update_as_users_know_it(language: str, expected: str) -> None:
    local = datetime(2026, 11, 28, 19, 5).astimezone()  # 19:05 on this machine's clock
    with using(language):
        assert last_update_text(Status(last_update=local)) == expected
        assert last_update_text(Status()).endswith(": —")


@pytest.mark.parametrize(
    ("saved", "environ", "language"),
    [
        ("en", {"LANG": "de_CH.UTF-8"}, "en"),  # the user's choice wins
        (None, {"LANG": "de_CH.UTF-8"}, "de"),
        (None, {"LC_ALL": "en_GB.UTF-8"}, "en"),
        (None, {"LANG": "fr_CH.UTF-8"}, FALLBACK),  # no French: German
        (None, {}, FALLBACK),
        ("xx", {"LANG": "en_US"}, "en"),  # an unknown saved value counts as none
    ],
)
def test_language_is_the_users_choice_else_the_systems_else_german(
    saved: str | None, environ: dict[str, str], language: str
) -> None:
    assert FALLBACK == "de"
    assert choose(saved, environ) == language


def test_progress_says_phase_done_of_total_and_a_percentage() -> None:
    files = Status(
        state=SyncState.SYNCING,
        phase=Phase.FILES,
        items_done=3,
        items_total=10,
        bytes_done=int(188.5 * MB),
        bytes_total=int(314.6 * MB),
    )
    with using("de"):
        assert progress_text(files) == "Dateien laden 188,5 von 314,6 MB · 59 %"
    with using("en"):
        assert progress_text(files) == "Downloading files 188.5 of 314.6 MB · 59%"
    changes = Status(state=SyncState.SYNCING, phase=Phase.CHANGES, items_done=3, items_total=10)
    with using("de"):
        assert progress_text(changes) == "Änderungen laden 3 von 10 · 30 %"
    mixed = Status(state=SyncState.SYNCING, phase=Phase.FILES, bytes_done=900, bytes_total=2 * MB)
    with using("en"):
        assert progress_text(mixed) == "Downloading files 900 B of 2.0 MB · 0%"


def test_problems_say_what_happened_with_plurals() -> None:
    offline = Status(state=SyncState.OFFLINE, offline_since=WHEN)
    with using("de"):
        assert problem_text(offline).startswith("Offline seit ")
        assert problem_text(Status(state=SyncState.IDLE, conflicts=1)) == "1 Konflikt"
        assert problem_text(Status(state=SyncState.IDLE, conflicts=2)) == "2 Konflikte"
    error = Status(state=SyncState.ERROR, message="Server refused: no", conflicts=2)
    with using("en"):
        assert problem_text(error) == "Error: Server refused · 2 conflicts"
        assert problem_text(Status(state=SyncState.IDLE)) == ""


def test_fresh_names_never_reuse_an_existing_file(tmp_path: Path) -> None:
    first = fresh_path(tmp_path, "Brief: an/Kunden", ".docx", WHEN)
    assert first.name == "Brief_ an_Kunden 2026-11-28.docx"
    first.write_bytes(b"x")
    assert fresh_path(tmp_path, "Brief: an/Kunden", ".docx", WHEN).name.endswith(" (2).docx")
