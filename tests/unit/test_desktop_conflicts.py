"""How the conflicts dialog names what clashed."""

from __future__ import annotations

from docshelf.desktop.conflicts import shown_path


def test_conflicts_name_fields_by_their_label() -> None:
    labels = {"phone": {"de": "Telefon direkt", "en": "Direct phone"}}
    assert shown_path("overrides.phone", labels, "de") == "Telefon direkt"
    assert shown_path("overrides.phone", labels, "fr") == "Telefon direkt"
    assert shown_path("fields.phone", labels, "en") == "Direct phone"
    assert shown_path("title", labels, "de") == "title"
