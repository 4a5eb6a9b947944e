"""Characters and values that must not slip into names, titles and fields."""

from __future__ import annotations

import pytest

from docshelf.domain.errors import InvalidInput
from docshelf.domain.fields import FieldDef, FieldScope, FieldType, check_field_value
from docshelf.domain.settings import SETTINGS, effective_settings
from docshelf.domain.templates import check_filename
from docshelf.domain.text import check_text

WEBSITE = FieldDef("website", FieldScope.UNIT, FieldType.URL)


@pytest.mark.parametrize("char", ["\x85", "\x9b", "\u2028", "\u2029", "\x7f"])
def test_c1_controls_and_line_separators_are_refused(char: str) -> None:
    with pytest.raises(InvalidInput, match="control characters"):
        check_text(f"a{char}b", "Title")


@pytest.mark.parametrize("name", ["   ", "a\x7fb.docx", "x\x90.docx"])
def test_unusable_file_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_filename(name)


@pytest.mark.parametrize("value", ["https://", "http://", "https://nohost", "ftp://x.ch"])
def test_url_fields_need_a_real_address(value: str) -> None:
    with pytest.raises(InvalidInput, match="web address"):
        check_field_value(WEBSITE, value)


def test_url_field_accepts_a_web_address() -> None:
    assert check_field_value(WEBSITE, "https://www.muster.ch/kontakt") == (
        "https://www.muster.ch/kontakt"
    )


def test_effective_settings_hand_out_copies_of_defaults() -> None:
    languages = effective_settings({})["Languages"]
    languages.append("fr")
    assert SETTINGS["Languages"].default == ["de", "en"]
