"""Numbers, sizes, dates and times as the current language writes them (Babel)."""

from __future__ import annotations

from datetime import date, datetime

from docshelf.i18n.language import current_language

# Fixed numeric patterns rather than CLDR's short formats: the product's users know
# "28.11.2026 19:05"; CLDR's short German date has a two-digit year. Numeric fields
# need no locale data, so strftime does (and keeps the value's own zone).
_DATE = {"de": "%d.%m.%Y", "en": "%d/%m/%Y"}
_UNITS = ("B", "KB", "MB", "GB", "TB")


def format_number(value: float, decimals: int | None = None) -> str:
    """``1234.5`` → "1.234,5" in German, "1,234.5" in English."""
    symbols = _SYMBOLS.get(current_language())
    written = None if symbols is None else _written(value, decimals, *symbols)
    if written is not None:
        return written
    from babel.numbers import format_decimal

    if decimals is None:
        return format_decimal(value, locale=current_language())
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=current_language())


# The decimal and group symbols of the languages the product speaks, as CLDR has them:
# for these, a number is written here as Babel writes it (tests/unit/test_formats.py),
# without loading Babel and its locale data (a tenth of a second of `docshelf status`).
_SYMBOLS = {"de": (",", "."), "en": (".", ",")}


def _written(value: float, decimals: int | None, point: str, group: str) -> str | None:
    """Babel's ``format_decimal`` for a language's default pattern ("#,##0.###") or
    "#,##0.0…" with ``decimals`` places: the value as written in decimal (``str``), rounded
    half to even. None where Babel is left to say (not finite, beyond 28 digits)."""
    from decimal import Decimal, InvalidOperation

    number = Decimal(str(value))
    if not number.is_finite():
        return None
    places = 3 if decimals is None else decimals
    try:
        rounded = abs(number).quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return None
    whole, _, fraction = f"{rounded:f}".partition(".")
    if decimals is None:
        fraction = fraction.rstrip("0")
    head = len(whole) % 3 or 3
    grouped = group.join([whole[:head], *(whole[i : i + 3] for i in range(head, len(whole), 3))])
    sign = "-" if number.is_signed() else ""
    return sign + grouped + (point + fraction if fraction else "")


def format_size(size: int | float | None) -> str:
    """Bytes in the largest binary unit below 1024, one decimal: "188,5 MB" / "188.5 MB"."""
    value = float(size or 0)
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{format_number(value, 0 if unit == 0 else 1)} {_UNITS[unit]}"


def format_percent(done: float, total: float) -> str:
    """``60 %`` in German, ``60%`` in English (whole percent, never over 100)."""
    share = 0 if total <= 0 else min(100, int(100 * done / total))
    return f"{share} %" if current_language() == "de" else f"{share}%"


def format_date(value: date) -> str:
    return value.strftime(_DATE.get(current_language(), _DATE["en"]))


def format_datetime(value: datetime) -> str:
    """Date and time as given (convert to local time before, where wanted)."""
    return value.strftime(_DATE.get(current_language(), _DATE["en"]) + " %H:%M")
