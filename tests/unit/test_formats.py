"""Numbers in German and English are written as Babel writes them, without loading Babel."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from babel.numbers import format_decimal

from docshelf.i18n import formats
from docshelf.i18n.language import using

VALUES = [
    0,
    1,
    -1,
    7,
    999,
    1000,
    -1000,
    123456789,
    10**20,
    0.5,
    1.5,
    2.5,
    -2.5,
    0.0005,
    0.0015,
    0.00051,
    -0.0,
    -0.0001,
    1e-7,
    12.3456,
    999.9995,
    1234.5,
    1234567.891,
    188.54,
    0.05,
    0.15,
    0.25,
    1e16,
    Decimal("2.675"),
    900000,
]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("decimals", [None, 0, 1, 2])
def test_numbers_are_written_as_babel_writes_them(language: str, decimals: int | None) -> None:
    pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    with using(language):
        for value in VALUES:
            babel = format_decimal(value, format=pattern, locale=language)
            assert formats.format_number(value, decimals) == babel, value  # type: ignore[arg-type]


def test_values_beyond_plain_numbers_are_left_to_babel() -> None:
    with using("de"):
        assert formats.format_number(float("nan")) == format_decimal(float("nan"), locale="de")


def test_writing_a_number_loads_no_babel() -> None:
    code = (
        "import sys\n"
        "from docshelf.i18n.formats import format_number, format_size\n"
        "from docshelf.i18n.language import set_default_language\n"
        "set_default_language('de')\n"
        "assert format_number(900000) == '900.000', format_number(900000)\n"
        "assert format_size(197656576) == '188,5 MB'\n"
        "assert not [m for m in sys.modules if m == 'babel' or m.startswith('babel.')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
