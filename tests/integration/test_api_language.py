"""The API answers in the caller's language: Accept-Language chooses German or English for
a problem's title and detail; what programs read (status, type, code, keys) stays the same.
Without the header the API speaks English, as it did before the catalogues."""

from __future__ import annotations

import inspect
from typing import Any

import httpx

from docshelf.i18n.tools import english_leftovers
from docshelf.server.api.routes import templates
from support.api import LiveServer

GERMAN = {"Accept-Language": "de-CH, de;q=0.9, en;q=0.5"}


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def machine_parts(body: dict[str, Any]) -> tuple[Any, ...]:
    return body["status"], body.get("type"), body["code"]


def test_a_problem_is_german_for_de_ch_and_english_without_a_header(live: LiveServer) -> None:
    # A sync endpoint: FastAPI runs it in its thread pool, and the detail is made there.
    assert not inspect.iscoroutinefunction(templates.get_template)
    path = "/admin/templates/no-such-template"
    english = live.admin.get(path)
    german = live.admin.get(path, headers=GERMAN)

    assert english.status_code == german.status_code == 404
    en, de = problem(english), problem(german)
    assert machine_parts(en) == machine_parts(de) == (404, en.get("type"), "not_found")
    assert en["title"] == "Not found"
    assert en["detail"] == ("There is no template with id 'no-such-template' that you may change.")
    assert de["title"] == "Nicht gefunden"
    assert de["detail"] == (
        "Es gibt keine Vorlage mit der ID «no-such-template», die Sie ändern dürfen."
    )
    assert english.headers["content-language"] == "en"
    assert german.headers["content-language"] == "de"
    for response in (english, german):
        assert "accept-language" in response.headers["vary"].lower()


def test_a_language_we_do_not_speak_gets_english(live: LiveServer) -> None:
    response = live.admin.get(
        "/admin/templates/none-here", headers={"Accept-Language": "fr-CH, it"}
    )
    assert response.headers["content-language"] == "en"
    assert problem(response)["title"] == "Not found"


def test_a_problem_made_before_the_routes_speaks_german_too(live: LiveServer) -> None:
    # No token: the admission middleware refuses it, outside FastAPI's handlers.
    response = live.anonymous().get("/sync/changes", headers=GERMAN)
    assert response.status_code == 401
    body = problem(response)
    assert body["code"] == "signed_out"
    assert body["title"] == "Abgemeldet"
    assert body["detail"].startswith("Melden Sie sich zuerst an")
    assert response.headers["content-language"] == "de"


def test_the_validation_description_is_german(live: LiveServer) -> None:
    sent = {"login": "neu", "roles": ["user"], "hobby": "Segeln"}
    english = live.admin.post("/admin/users", json=sent)
    german = live.admin.post("/admin/users", json=sent, headers=GERMAN)

    assert english.status_code == german.status_code == 422
    en, de = problem(english), problem(german)
    assert machine_parts(en) == machine_parts(de)
    assert en["errors"] == de["errors"]  # for programs: pydantic's own, never translated
    assert en["title"] == "Invalid input"
    assert "hobby: is not a known field (check the spelling)." in en["detail"]
    assert de["title"] == "Ungültige Eingabe"
    assert "hobby: ist kein bekanntes Feld (prüfen Sie die Schreibweise)." in de["detail"]
    assert english_leftovers(de["detail"]) == []


def test_our_own_checks_inside_validation_are_german(live: LiveServer) -> None:
    response = live.admin.post(
        "/admin/users", json={"login": "neu", "display_name": "Anna\u0007"}, headers=GERMAN
    )
    assert response.status_code == 422
    detail = problem(response)["detail"]
    assert "display_name: Text enthält Steuerzeichen" in detail
    assert english_leftovers(detail) == []


def test_a_package_refusal_is_german(live: LiveServer) -> None:
    def send(headers: dict[str, str]) -> httpx.Response:
        return live.admin.post(
            "/admin/packages/preview",
            content=b"this is no zip archive",
            headers={"Content-Type": "application/zip", **headers},
        )

    english, german = send({}), send(GERMAN)
    assert english.status_code == german.status_code == 422
    en, de = problem(english), problem(german)
    assert machine_parts(en) == machine_parts(de)
    assert en["title"] == "Package refused"
    assert en["detail"].endswith("Nothing was imported.")
    assert de["title"] == "Paket abgelehnt"
    assert de["detail"].startswith("archive: ist keine Zip-Datei oder beschädigt")
    assert de["detail"].endswith("Es wurde nichts importiert.")
    assert english_leftovers(de["detail"]) == []
