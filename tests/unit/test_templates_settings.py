"""Templates and snippets, the server-settings registry, text checks, ids and errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from docshelf.domain import errors
from docshelf.domain.errors import DocshelfError, InvalidInput
from docshelf.domain.ids import check_id, new_id
from docshelf.domain.settings import (
    CLIENT_SYNC_INTERVAL,
    CLIENT_SYNC_MAX_DELAY_AFTER_START,
    LANGUAGES,
    SETTINGS,
    effective_settings,
    spec_for,
)
from docshelf.domain.snippets import SnippetKind, check_snippet_shape
from docshelf.domain.templates import (
    FILE_KINDS,
    PublicationStatus,
    check_file_matches_kind,
    check_filename,
    parse_kind,
    parse_status,
)
from docshelf.domain.text import check_language, check_text, check_title

ZIP_HEAD = b"PK\x03\x04\x14\x00\x06\x00"
OLE_HEAD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"

# --- publication status and file kinds -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("released", PublicationStatus.RELEASED),
        ("RELEASED", PublicationStatus.RELEASED),
        (" Released ", PublicationStatus.RELEASED),
        ("in-test", PublicationStatus.IN_TEST),
        ("in_test", PublicationStatus.IN_TEST),
        ("In-Progress", PublicationStatus.IN_PROGRESS),
    ],
)
def test_parse_status_accepts_spellings(text: str, expected: PublicationStatus) -> None:
    assert parse_status(text) is expected


@pytest.mark.parametrize("text", ["", "published", "in test", "draft"])
def test_parse_status_refuses_unknown_and_lists_known(text: str) -> None:
    with pytest.raises(InvalidInput, match="use one of in_progress, in_test, released"):
        parse_status(text)


@pytest.mark.parametrize(
    ("text", "extension", "application"),
    [
        ("docx", "docx", "word"),
        (".DOTX", "dotx", "word"),
        (" xlsx ", "xlsx", "excel"),
        ("potx", "potx", "powerpoint"),
        ("msg", "msg", "outlook"),
        (".oft", "oft", "outlook"),
    ],
)
def test_parse_kind_accepts(text: str, extension: str, application: str) -> None:
    kind = parse_kind(text)
    assert (kind.extension, kind.application) == (extension, application)


@pytest.mark.parametrize("text", ["doc", "pdf", "exe", "", "docx.exe"])
def test_parse_kind_refuses_unknown_and_lists_known(text: str) -> None:
    with pytest.raises(InvalidInput, match="Unknown template type") as caught:
        parse_kind(text)
    assert ", ".join(sorted(FILE_KINDS)) in str(caught.value)


OFFICE_OPEN_XML = sorted(k for k, v in FILE_KINDS.items() if v.application != "outlook")
OUTLOOK = sorted(k for k, v in FILE_KINDS.items() if v.application == "outlook")


def test_every_kind_is_either_office_open_xml_or_outlook() -> None:
    assert OUTLOOK == ["msg", "oft"]
    assert set(OFFICE_OPEN_XML) == {"docx", "dotx", "docm", "dotm", "xlsx", "xltx", "pptx", "potx"}


@pytest.mark.parametrize("extension", OFFICE_OPEN_XML)
def test_office_open_xml_needs_zip_magic(extension: str) -> None:
    kind = FILE_KINDS[extension]
    check_file_matches_kind(kind, ZIP_HEAD)  # accepted
    with pytest.raises(InvalidInput, match=rf"not a valid \.{extension} file"):
        check_file_matches_kind(kind, OLE_HEAD)


@pytest.mark.parametrize("extension", OUTLOOK)
def test_outlook_files_need_ole_magic(extension: str) -> None:
    kind = FILE_KINDS[extension]
    check_file_matches_kind(kind, OLE_HEAD)  # accepted
    with pytest.raises(InvalidInput, match=rf"not a valid \.{extension} file"):
        check_file_matches_kind(kind, ZIP_HEAD)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"Hello, this is plain text\n", id="text_file"),
        pytest.param(b"MZ\x90\x00\x03\x00", id="renamed_exe"),
        pytest.param(b"", id="empty_file"),
        pytest.param(b"PK\x03", id="truncated_magic"),
        pytest.param(b"%PDF-1.7", id="pdf"),
    ],
)
@pytest.mark.parametrize("extension", ["docx", "msg"])
def test_file_with_foreign_content_is_refused(extension: str, head: bytes) -> None:
    with pytest.raises(InvalidInput, match="export it again"):
        check_file_matches_kind(FILE_KINDS[extension], head)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Brief.dotx", "Brief.dotx", id="plain_name"),
        pytest.param("a/b/Brief.dotx", "Brief.dotx", id="posix_directories"),
        pytest.param("/etc/passwd", "passwd", id="absolute_path"),
        pytest.param("C:\\Users\\anna\\Brief.dotx", "Brief.dotx", id="windows_directories"),
        pytest.param("..\\..\\evil.docx", "evil.docx", id="backslash_traversal"),
        pytest.param("../../evil.docx", "evil.docx", id="slash_traversal"),
        pytest.param("Brief für Kunden.docx", "Brief für Kunden.docx", id="spaces_and_umlauts"),
        pytest.param("x" * 200, "x" * 200, id="200_characters"),
        pytest.param("dir/", "dir", id="trailing_slash_is_dropped"),
    ],
)
def test_check_filename_keeps_only_the_last_part(name: str, expected: str) -> None:
    assert check_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("..", id="dot_dot"),
        pytest.param(".", id="dot"),
        pytest.param("a/..", id="ends_in_dot_dot"),
        pytest.param("a\\..", id="ends_in_dot_dot_backslash"),
        pytest.param("bad\x00name.docx", id="nul"),
        pytest.param("bad\nname.docx", id="newline"),
        pytest.param("x" * 201, id="201_characters"),
    ],
)
def test_check_filename_refuses(name: str) -> None:
    with pytest.raises(InvalidInput, match="is not a usable file name"):
        check_filename(name)


# --- snippet shape -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "owner", "template", "message"),
    [
        pytest.param(SnippetKind.PERSONAL, None, None, "needs an owner", id="personal_no_owner"),
        pytest.param(
            SnippetKind.TEMPLATE, None, None, "needs the template", id="template_no_template"
        ),
        pytest.param(
            SnippetKind.SHARED, None, "t1", "Only template snippets", id="shared_with_template"
        ),
        pytest.param(
            SnippetKind.PERSONAL, "u1", "t1", "Only template snippets", id="personal_with_template"
        ),
    ],
)
def test_snippet_shape_refused(
    kind: SnippetKind, owner: str | None, template: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_snippet_shape(kind, owner, template)


@pytest.mark.parametrize(
    ("kind", "owner", "template"),
    [
        pytest.param(SnippetKind.PERSONAL, "u1", None, id="personal_with_owner"),
        pytest.param(SnippetKind.SHARED, None, None, id="shared_alone"),
        pytest.param(SnippetKind.TEMPLATE, None, "t1", id="template_with_template"),
    ],
)
def test_snippet_shape_accepted(kind: SnippetKind, owner: str | None, template: str | None) -> None:
    check_snippet_shape(kind, owner, template)  # the assertion: no InvalidInput


# --- settings registry ---------------------------------------------------------------

INTERVAL = spec_for(CLIENT_SYNC_INTERVAL)
MAX_DELAY = spec_for(CLIENT_SYNC_MAX_DELAY_AFTER_START)
LANGS = spec_for(LANGUAGES)


def test_registry_holds_exactly_the_known_settings() -> None:
    assert set(SETTINGS) == {
        "ClientSyncInterval",
        "ClientSyncMaxDelayAfterStart",
        "ClientHintMaxDelay",
        "ClientHintsEnabled",
        "Languages",
        "VersionRetentionDays",
        "VersionsKept",
        "AuditRetentionDays",
    }
    assert all(spec.key == key for key, spec in SETTINGS.items())


def test_client_sync_interval_defaults_to_fifteen_minutes() -> None:
    assert INTERVAL.default == 900_000
    assert INTERVAL.validate(INTERVAL.default) == 900_000


def test_max_delay_after_start_default_lies_within_its_range() -> None:
    assert MAX_DELAY.minimum is not None and MAX_DELAY.maximum is not None
    assert MAX_DELAY.minimum <= MAX_DELAY.default <= MAX_DELAY.maximum
    assert MAX_DELAY.validate(MAX_DELAY.default) == MAX_DELAY.default


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_every_default_passes_its_own_validation(key: str) -> None:
    spec = SETTINGS[key]
    assert spec.validate(spec.default) == spec.default


def test_sync_settings_are_sent_to_clients() -> None:
    assert INTERVAL.sent_to_clients and MAX_DELAY.sent_to_clients


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="bool_true"),
        pytest.param(False, id="bool_false"),
        pytest.param(900_000.0, id="float"),
        pytest.param("900000", id="string"),
        pytest.param(None, id="none"),
    ],
)
def test_duration_validate_refuses_non_integers(value: Any) -> None:
    with pytest.raises(InvalidInput, match="ClientSyncInterval takes a whole number"):
        INTERVAL.validate(value)


@pytest.mark.parametrize(
    ("spec_key", "value"),
    [
        pytest.param(CLIENT_SYNC_INTERVAL, 59_999, id="interval_below_one_minute"),
        pytest.param(CLIENT_SYNC_INTERVAL, 86_400_001, id="interval_above_one_day"),
        pytest.param(CLIENT_SYNC_INTERVAL, 0, id="interval_zero"),
        pytest.param(CLIENT_SYNC_MAX_DELAY_AFTER_START, -1, id="delay_negative"),
        pytest.param(CLIENT_SYNC_MAX_DELAY_AFTER_START, 7_200_001, id="delay_above_two_hours"),
    ],
)
def test_duration_out_of_range_names_key_and_range(spec_key: str, value: int) -> None:
    spec = spec_for(spec_key)
    with pytest.raises(InvalidInput) as caught:
        spec.validate(value)
    message = str(caught.value)
    assert spec_key in message
    assert f"between {spec.minimum} ms" in message
    assert f"and {spec.maximum} ms" in message
    assert str(value) in message


@pytest.mark.parametrize(
    ("spec_key", "value"),
    [
        (CLIENT_SYNC_INTERVAL, 60_000),
        (CLIENT_SYNC_INTERVAL, 86_400_000),
        (CLIENT_SYNC_MAX_DELAY_AFTER_START, 0),
        (CLIENT_SYNC_MAX_DELAY_AFTER_START, 7_200_000),
    ],
)
def test_duration_range_is_inclusive(spec_key: str, value: int) -> None:
    assert spec_for(spec_key).validate(value) == value


@pytest.mark.parametrize("text", ["600000", "600_000", " 600000 "])
def test_duration_parse_accepts_plain_and_grouped_numbers(text: str) -> None:
    assert INTERVAL.parse(text) == 600_000


@pytest.mark.parametrize("text", ["ten", "", "10m", "1e6", "600000.0"])
def test_duration_parse_refuses_non_numbers(text: str) -> None:
    with pytest.raises(InvalidInput, match="takes a whole number of milliseconds"):
        INTERVAL.parse(text)


def test_duration_parse_out_of_range_reports_the_range_not_a_format_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        INTERVAL.parse("1000")
    assert "must lie between 60000 ms" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("de,en", ["de", "en"]),
        (" de , en ", ["de", "en"]),
        ("en", ["en"]),
        ("de-CH,fr,it", ["de-CH", "fr", "it"]),
        ("de,,en,", ["de", "en"]),
    ],
)
def test_languages_parse(text: str, expected: list[str]) -> None:
    assert LANGS.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("de,en,de", "names a language twice", id="duplicate"),
        pytest.param("de,EN", "is not a language code", id="upper_case"),
        pytest.param("deu", "is not a language code", id="three_letters"),
        pytest.param("de_CH", "is not a language code", id="underscore"),
        pytest.param("", "non-empty list", id="empty"),
        pytest.param(" , ", "non-empty list", id="only_commas"),
    ],
)
def test_languages_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        LANGS.parse(text)


@pytest.mark.parametrize(
    "value",
    [pytest.param("de", id="string"), pytest.param([], id="empty"), pytest.param([1], id="ints")],
)
def test_languages_validate_refuses_non_lists(value: Any) -> None:
    with pytest.raises(InvalidInput, match="Languages takes a non-empty list"):
        LANGS.validate(value)


def test_spec_for_unknown_key_lists_known_keys() -> None:
    with pytest.raises(InvalidInput) as caught:
        spec_for("ClientSyncIntervall")
    assert str(caught.value) == (
        "There is no setting 'ClientSyncIntervall'; known settings are"
        " ClientSyncInterval, ClientSyncMaxDelayAfterStart, ClientHintMaxDelay,"
        " ClientHintsEnabled, Languages, VersionRetentionDays, VersionsKept, AuditRetentionDays."
    )


def test_spec_for_is_case_sensitive() -> None:
    with pytest.raises(InvalidInput):
        spec_for("clientsyncinterval")


def test_effective_settings_fills_defaults() -> None:
    assert effective_settings({}) == {
        CLIENT_SYNC_INTERVAL: 900_000,
        CLIENT_SYNC_MAX_DELAY_AFTER_START: MAX_DELAY.default,
        "ClientHintMaxDelay": 5_000,
        "ClientHintsEnabled": True,
        LANGUAGES: ["de", "en"],
        "VersionRetentionDays": 365,
        "VersionsKept": 10,
        "AuditRetentionDays": 365,
    }


def test_count_setting_parses_whole_numbers_within_its_range() -> None:
    spec = SETTINGS["VersionsKept"]
    assert spec.parse(" 30 ") == 30
    assert not spec.sent_to_clients
    for text in ("0", "1001", "drei"):
        with pytest.raises(InvalidInput, match="VersionsKept takes a whole number"):
            spec.parse(text)
    with pytest.raises(InvalidInput):
        spec.validate(True)


def test_boolean_setting_parses_words_and_refuses_others() -> None:
    spec = SETTINGS["ClientHintsEnabled"]
    assert spec.parse("off") is False
    assert spec.parse(" True ") is True
    with pytest.raises(InvalidInput, match="true or false"):
        spec.parse("maybe")
    with pytest.raises(InvalidInput, match="true or false"):
        spec.validate(1)


def test_effective_settings_stored_values_win_and_unknown_keys_are_dropped() -> None:
    result = effective_settings({CLIENT_SYNC_INTERVAL: 600_000, "Obsolete": 1})
    assert result[CLIENT_SYNC_INTERVAL] == 600_000
    assert result[LANGUAGES] == ["de", "en"]
    assert "Obsolete" not in result


# --- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "multiline"),
    [
        pytest.param("Grüezi", False, id="single_line"),
        pytest.param("a\nb\r\nc\td", True, id="multiline_allows_breaks_and_tabs"),
    ],
)
def test_check_text_accepts(value: str, multiline: bool) -> None:
    assert check_text(value, "Title", multiline=multiline) == value


@pytest.mark.parametrize(
    ("value", "multiline"),
    [
        pytest.param("a\nb", False, id="newline_in_single_line"),
        pytest.param("a\rb", False, id="carriage_return_in_single_line"),
        pytest.param("a\x00b", True, id="nul_even_in_multiline"),
        pytest.param("a\x1bb", True, id="escape_even_in_multiline"),
        pytest.param("a\x7fb", True, id="delete_even_in_multiline"),
        pytest.param("a\x0bb", True, id="vertical_tab_even_in_multiline"),
    ],
)
def test_check_text_refuses_control_characters(value: str, multiline: bool) -> None:
    with pytest.raises(InvalidInput, match="Title contains control characters"):
        check_text(value, "Title", multiline=multiline)


def test_check_text_limits_length_and_says_by_how_much() -> None:
    assert check_text("x" * 200, "Title") == "x" * 200
    with pytest.raises(InvalidInput, match=r"Title is 201 characters long; at most 200 fit\."):
        check_text("x" * 201, "Title")


def test_check_title_strips_and_refuses_blank() -> None:
    assert check_title("  Brief  ") == "Brief"
    with pytest.raises(InvalidInput, match="Name must not be empty"):
        check_title("   ", "Name")


@pytest.mark.parametrize("code", ["de", "en", "de-CH", "fr-FR"])
def test_check_language_accepts(code: str) -> None:
    assert check_language(code) == code


@pytest.mark.parametrize("code", ["", "DE", "deu", "de-ch", "de_CH", "d", "de-CHE", " de"])
def test_check_language_refuses(code: str) -> None:
    with pytest.raises(InvalidInput, match="is not a language code"):
        check_language(code)


# --- ids -----------------------------------------------------------------------------


def test_new_id_is_sixteen_hex_characters_and_a_valid_id() -> None:
    value = new_id()
    assert re.fullmatch(r"[0-9a-f]{16}", value)
    assert check_id(value) == value


def test_new_ids_differ() -> None:
    assert len({new_id() for _ in range(100)}) == 100


@pytest.mark.parametrize("value", ["a", "A-b_9", "x" * 64])
def test_check_id_accepts(value: str) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize("value", ["", "a/b", "a b", "a.b", "x" * 65, "..", "ä"])
def test_check_id_refuses(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"template id .* is not a valid id"):
        check_id(value, "template id")


# --- errors --------------------------------------------------------------------------

ERROR_CLASSES: list[tuple[type[DocshelfError], int, str]] = [
    (errors.DocshelfError, 500, "error"),
    (errors.InvalidInput, 422, "invalid"),
    (errors.HashMismatch, 422, "hash_mismatch"),
    (errors.NotAuthenticated, 401, "signed_out"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.NotFound, 404, "not_found"),
    (errors.Conflict, 409, "conflict"),
    (errors.PayloadTooLarge, 413, "too_large"),
    (errors.TooManyRequests, 429, "too_many_requests"),
    (errors.ServiceUnavailable, 503, "unavailable"),
    (errors.ConfigurationError, 500, "configuration"),
]


def make_error(cls: type[DocshelfError], message: str = "What went wrong.") -> DocshelfError:
    if issubclass(cls, errors.TooManyRequests | errors.ServiceUnavailable):
        return cls(message, retry_after=7)
    return cls(message)


def test_every_public_error_class_is_listed() -> None:
    public = {
        obj
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, DocshelfError) and not name.startswith("_")
    }
    assert public == {cls for cls, _, _ in ERROR_CLASSES}


@pytest.mark.parametrize(
    ("cls", "status", "code"), ERROR_CLASSES, ids=[c.__name__ for c, _, _ in ERROR_CLASSES]
)
def test_error_class_has_status_code_and_title(
    cls: type[DocshelfError], status: int, code: str
) -> None:
    error = make_error(cls)
    assert (cls.status, cls.code) == (status, code)
    assert error.title == cls.default_title and error.title.strip()
    assert error.message == str(error) == "What went wrong."
    assert isinstance(error, DocshelfError)


def test_error_codes_are_unique() -> None:
    codes = [code for _, _, code in ERROR_CLASSES]
    assert len(codes) == len(set(codes))


def test_error_title_can_be_given() -> None:
    assert errors.Conflict("x", title="Edited elsewhere").title == "Edited elsewhere"


def test_invalid_input_is_also_a_value_error() -> None:
    assert issubclass(errors.InvalidInput, ValueError)
    assert issubclass(errors.HashMismatch, ValueError)
    with pytest.raises(ValueError, match="bad"):
        raise errors.InvalidInput("bad")


@pytest.mark.parametrize("cls", [errors.TooManyRequests, errors.ServiceUnavailable])
def test_retry_later_errors_carry_retry_after(cls: type[DocshelfError]) -> None:
    error = make_error(cls)
    assert error.retry_after == 7  # type: ignore[attr-defined]
    assert error.details == {"retry_after": 7}
