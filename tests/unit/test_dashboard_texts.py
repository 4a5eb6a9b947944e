"""Every word of the dashboard exists in German and English, and every key used exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from docshelf.server import dashboard
from docshelf.server.dashboard.chart import hourly_chart
from docshelf.server.dashboard.texts import TEXTS, Translator, from_accept_language

PACKAGE = Path(dashboard.__file__).parent
# t("key") / t('key') with a whole literal key (not a prefix that a value completes), in
# templates and page modules.
USED = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']\s*[,)]""")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_each_text_has_both_languages_with_the_same_placeholders(key: str) -> None:
    german, english = TEXTS[key]
    assert german.strip() and english.strip(), key
    assert _fields(german) == _fields(english), key


def test_every_key_used_by_a_page_exists() -> None:
    sources = [*PACKAGE.glob("templates/*.html"), *PACKAGE.glob("**/*.py")]
    used = {key for path in sources for key in USED.findall(path.read_text())}
    assert used, "the pattern finds the keys"
    missing = sorted(used - set(TEXTS))
    assert not missing, f"keys without text: {missing}"


def test_the_browser_chooses_the_language() -> None:
    assert from_accept_language("en-GB,en;q=0.9,de;q=0.8") == "en"
    assert from_accept_language("fr-CH, de;q=0.5, en;q=0.7") == "en"
    assert from_accept_language("fr") == "de"
    assert from_accept_language(None) == "de"


def test_dates_follow_the_language() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 28, 18, 5, tzinfo=UTC).astimezone()
    assert Translator("de").date_time(moment) == moment.strftime("%d.%m.%Y %H:%M")
    assert Translator("en").date_time(moment) == moment.strftime("%d/%m/%Y %H:%M")
    assert Translator("de").date_time(None) == "—"


def test_the_chart_scales_to_the_busiest_hour() -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 20, tzinfo=UTC)
    points = [(start + timedelta(hours=i), n) for i, n in enumerate([0, 4, 2, 0])]
    chart = hourly_chart(points, "%d.%m.")
    assert chart.total == 6 and chart.peak == 4
    heights = [bar.height for bar in chart.bars]
    assert len(heights) == 2 and heights[0] == 2 * heights[1]


def test_only_raster_images_are_served_as_images() -> None:
    from docshelf.server.dashboard.pages.files import image_type

    assert image_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert image_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_type(b"<svg xmlns='http://www.w3.org/2000/svg'>") is None
    assert image_type(b"<html><script>") is None
