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
    from babel.numbers import format_decimal

    if decimals is None:
        return format_decimal(value, locale=current_language())
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=current_language())


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
