"""The dashboard's words come from the catalogue: no template carries a word of its own,
every stored value the pages name has a German name, and counts, times, sizes and
clients' failures read the visitor's way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.requests import Request

from docshelf.domain.accounts import Role
from docshelf.domain.fields import FieldScope, FieldType
from docshelf.domain.permissions import ORG_SECTIONS, SYS_SECTIONS
from docshelf.domain.snippets import SnippetFormat
from docshelf.domain.templates import PublicationStatus
from docshelf.i18n import ntr, using
from docshelf.i18n.formats import format_size
from docshelf.server import dashboard
from docshelf.server.dashboard.chart import hourly_chart
from docshelf.server.dashboard.client_errors import code_of, reported_error
from docshelf.server.dashboard.language import language_of
from docshelf.server.dashboard.texts import LABELS, ago, label, percent, when

TEMPLATES = Path(dashboard.__file__).parent / "templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
# Code is the same in every language (the tags' prefixes "field:", "image:").
CODE = re.compile(r"<code\b[^>]*>.*?</code>", re.S)
READ_ATTRIBUTE = re.compile(r'\b(?:title|placeholder|aria-label|alt|label)="([^"]*)"')
WORD = re.compile(r"[^\W\d_]{2,}")
# The product's name is the same in every language.
NAMES = {"docshelf"}


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w not in NAMES]


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_no_template_has_words_of_its_own(path: Path) -> None:
    """Whatever a person reads comes through tr()/ntr(): outside the Jinja expressions a
    template holds markup, punctuation and numbers only."""
    source = path.read_text()
    without_jinja = JINJA.sub("", source)
    in_attributes = [w for value in READ_ATTRIBUTE.findall(without_jinja) for w in _words(value)]
    assert not in_attributes, f"{path.name}: words in attributes {in_attributes}"
    text = re.sub(r"&\w+;", "", TAG.sub(" ", CODE.sub("", without_jinja)))
    assert not _words(text), f"{path.name}: words outside tr(): {_words(text)}"
    # Only literal texts are in the catalogue: tr(a_variable) would show English.
    assert not re.findall(r"\bn?tr\(\s*(?![\"'])", source), path.name


def test_the_scan_finds_a_word_outside_tr() -> None:
    sample = '<p title="Hello">{{ tr("Saved.") }} Danke</p>'
    without_jinja = JINJA.sub("", sample)
    assert _words(READ_ATTRIBUTE.findall(without_jinja)[0]) == ["Hello"]
    assert _words(TAG.sub(" ", without_jinja)) == ["Danke"]


def test_every_stored_value_the_pages_name_has_a_german_name() -> None:
    families = {
        "role": [r.value for r in Role],
        "status": [s.value for s in PublicationStatus] + ["deactivated"],
        "field_type": [t.value for t in FieldType],
        "scope": [s.value for s in FieldScope],
        "snippet_format": [f.value for f in SnippetFormat],
        "snippet_kind": ["shared", "template"],
        "device": ["client", "dashboard"],
        "state": ["active", "deactivated"],
        "member": ["user", "group"],
        "item": ["template", "template_group", "snippet", "unit", "field"],
        "section": [*SYS_SECTIONS, *ORG_SECTIONS],
    }
    missing = [f"{f}.{v}" for f, values in families.items() for v in values if v not in LABELS[f]]
    assert not missing
    with using("de"):
        assert label("role", "sys") == "Systemadministration"
        assert label("field_type", "url") == "Webadresse"
        assert label("item", "field") == "Felddefinition"
        assert label("role", "unknown") == "unknown", "an unknown value shows as stored"
    with using("en"):
        assert label("role", "sys") == "Sys"


def _request(cookie: str | None = None, accept: str | None = None) -> Request:
    headers = []
    if cookie:
        headers.append((b"cookie", f"docshelf_lang={cookie}".encode()))
    if accept:
        headers.append((b"accept-language", accept.encode()))
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_the_visitor_chooses_the_language_else_the_browser_else_german() -> None:
    assert language_of(_request("en", "de")) == "en"
    assert language_of(_request(None, "en-GB,en;q=0.9,de;q=0.8")) == "en"
    assert language_of(_request(None, "fr-CH, de;q=0.5, en;q=0.7")) == "en"
    assert language_of(_request(None, "fr")) == "de"
    assert language_of(_request("xx")) == "de"
    assert language_of(_request()) == "de"


def test_counts_have_their_plural() -> None:
    with using("de"):
        assert ntr("{n} change", "{n} changes", 1) == "1 Änderung"
        assert ntr("{n} change", "{n} changes", 2) == "2 Änderungen"
        assert ntr("{n} file", "{n} files", 1234) == "1.234 Dateien"
    with using("en"):
        assert ntr("{n} change", "{n} changes", 1) == "1 change"


def test_sizes_shares_and_times_read_the_language_s_way() -> None:
    moment = datetime(2026, 11, 28, 18, 5, tzinfo=UTC)
    local = moment.astimezone()
    now = moment + timedelta(minutes=5, seconds=30)
    with using("de"):
        assert format_size(316_040_806) == "301,4 MB"
        assert percent(60) == "60 %"
        assert when(moment) == local.strftime("%d.%m.%Y %H:%M")
        assert when(None) == "—"
        assert ago(moment, now) == "vor 5 Minuten"
        assert ago(moment, moment + timedelta(seconds=90)) == "vor 1 Minute"
        assert ago(moment, moment + timedelta(hours=3)) == "vor 3 Stunden"
        assert ago(moment, moment + timedelta(days=3)) == "vor 3 Tagen"
        assert ago(moment, moment + timedelta(seconds=20)) == "gerade eben"
    with using("en"):
        assert format_size(316_040_806) == "301.4 MB"
        assert percent(60) == "60%"
        assert when(moment) == local.strftime("%d/%m/%Y %H:%M")
        assert ago(moment, now) == "5 minutes ago"


def test_a_known_client_failure_reads_in_the_visitor_s_language() -> None:
    message = "Cannot reach the server at http://srv:8470 (ConnectError); working offline."
    assert code_of(message) == "offline"
    assert code_of("The server is busy: try later") == "server_busy"
    assert code_of("Something nobody foresaw") is None
    failed = datetime(2026, 11, 28, 18, 5, tzinfo=UTC)
    with using("de"):
        open_error = reported_error(message, failed, failed - timedelta(hours=1))
        assert open_error.text.startswith("Der Server war nicht erreichbar")
        assert open_error.raw == message and not open_error.resolved
    with using("en"):
        unknown = reported_error("Disk on fire", failed, failed + timedelta(minutes=1))
        assert unknown.text == "Disk on fire" and unknown.code is None
        assert unknown.resolved, "synced successfully after the failure"
        # A German client's words with the code it sent: the English dashboard's sentence.
        german = "Der Server unter http://srv:8470 ist nicht erreichbar."
        named = reported_error(german, failed, None, "offline")
        assert named.code == "offline" and named.text.startswith("The server could not")
        assert named.raw == german
        assert reported_error(german, failed, None, "no_such_code").text == german


def test_the_chart_scales_to_the_busiest_hour() -> None:
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


def test_what_a_package_changes_is_named_in_the_visitor_s_language() -> None:
    from docshelf.server.dashboard.texts import attribute_names

    with using("de"):
        assert attribute_names(["titles", "files.de"]) == "Titel, Datei (de)"
    with using("en"):
        assert attribute_names(["titles", "files.de"]) == "Titles, File (de)"
