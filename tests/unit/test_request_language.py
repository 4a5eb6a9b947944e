"""Which language a request speaks, and how a problem answer says so."""

from __future__ import annotations

import pytest
from starlette.types import Scope

from docshelf.domain.packages import CHANGE_LABELS, change_label
from docshelf.i18n import using
from docshelf.server.api.language import RequestLanguage, _mark_problem

COOKIE = "docshelf_lang"


def scope(path: str, accept: str | None = None, cookie: str | None = None) -> Scope:
    headers = []
    if accept is not None:
        headers.append((b"accept-language", accept.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"other=1; {COOKIE}={cookie}".encode()))
    return {"type": "http", "path": path, "headers": headers}


@pytest.mark.parametrize(
    ("path", "accept", "cookie", "expected"),
    [
        # The API: Accept-Language, else English as before.
        ("/api/v1/me", None, None, "en"),
        ("/api/v1/me", "de-CH", None, "de"),
        ("/api/v1/me", "fr-CH, it;q=0.8", None, "en"),
        ("/api/v1/me", "en;q=0.3, de;q=0.9", None, "de"),
        ("/api/v1/me", "de", "en", "de"),  # the dashboard's cookie is not the API's
        # The dashboard: the visitor's choice, else the browser's, else German.
        ("/dashboard", None, None, "de"),
        ("/dashboard/users", "en-GB", None, "en"),
        ("/dashboard/users", "en-GB", "de", "de"),
        ("/dashboard/users", "de", "en", "en"),
        ("/dashboard/users", "fr", "xx", "de"),
        ("/dashboardx", None, None, "en"),
    ],
)
def test_the_request_language(
    path: str, accept: str | None, cookie: str | None, expected: str
) -> None:
    chooser = RequestLanguage(None, dashboard_prefix="/dashboard")  # type: ignore[arg-type]
    assert chooser.choose(scope(path, accept, cookie)) == expected


def test_a_problem_answer_names_its_language_and_varies_by_it() -> None:
    start = {
        "type": "http.response.start",
        "status": 404,
        "headers": [(b"content-type", b"application/problem+json"), (b"vary", b"Origin")],
    }
    headers = dict(_mark_problem(start, "de")["headers"])
    assert headers[b"content-language"] == b"de"
    assert headers[b"vary"] == b"Origin, Accept-Language"


def test_other_answers_are_left_alone() -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"a/b")]}
    assert _mark_problem(start, "de") == start


def test_every_changed_attribute_has_a_label_in_both_languages() -> None:
    with using("de"):
        assert change_label("titles") == "Titel"
        assert change_label("files.de") == "Datei (de)"
        assert change_label("use_rights") == "Nutzungsrechte"
    with using("en"):
        assert change_label("use_rights") == "Use rights"
        assert change_label("something_new") == "something_new"
    assert "titles" in CHANGE_LABELS


def test_every_attribute_a_plan_may_name_has_a_label() -> None:
    from docshelf.domain.packages import (
        field_state,
        group_state,
        snippet_state,
        template_state,
        unit_state,
    )

    states = [
        group_state(parent_id=None, titles={}, order=0),
        template_state(
            group_id=None,
            kind="docx",
            status="published",
            active=True,
            titles={},
            descriptions={},
            use_rights=(),
            change_rights=(),
            order=0,
            files={"de": ("0" * 64, "a.docx")},
        ),
        snippet_state(
            kind="shared",
            title="t",
            template_id=None,
            read_rights=(),
            write_rights=(),
            body_sha256=None,
            body_format="text",
        ),
        field_state(scope="unit", type="text", labels={}, order=0),
        unit_state(parent_id=None, title="t", fields={}, assignable_by=None, order=0),
    ]
    names = {name for state in states for name in state}
    with using("de"):
        unlabelled = [n for n in sorted(names) if change_label(n) == n]
    assert unlabelled == []
