"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a
`docshelf demo` server process, with real sync clients.

Screenshots of each page land in a temporary folder, or in docs/screenshots with
DOCSHELF_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from docshelf.client.app import Client
from docshelf.client.paths import Home
from docshelf.client.reading import template_file
from docshelf.domain.settings import CLIENT_SYNC_INTERVAL
from support.api import FAST_HASHING
from support.browser import chromium, in_language, screenshot, screenshots, sign_in
from support.packages import sample
from support.server import ServerProcess, demo_server
from support.word_templates import word

DEMO_PASSWORD = "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with demo_server(tmp_path_factory.mktemp("demo"), env=FAST_HASHING) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="de-CH", viewport={"width": 1200, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return tmp_path / "screenshots"


def client(demo: ServerProcess, home: Path, login: str) -> Client:
    made = Client(Home(home))
    made.login(demo.url, login, DEMO_PASSWORD, device_name=f"{login}-laptop")
    return made


def synced(made: Client) -> None:
    result = made.sync()
    assert result.status == "ok", result.error


def test_sign_in_shows_the_summary_and_sign_out_ends_the_session(
    demo: ServerProcess, page: Page, shots: Path
) -> None:
    page.goto(f"{demo.url}/dashboard")
    expect(page).to_have_url(f"{demo.url}/dashboard/login?next=/dashboard")
    screenshots(page, "dashboard-login", shots)
    page.fill("input[name=login]", "admin")
    page.fill("input[name=password]", "wrong")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("falsch")

    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    expect(page.locator("h1")).to_have_text("Übersicht")
    expect(page.locator("[data-count=users]")).to_have_text("8")
    cookie = next(c for c in page.context.cookies() if c["name"] == "docshelf_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    page.click("#switch-language")
    expect(page.locator("h1")).to_have_text("Summary")
    page.click("#switch-language")
    expect(page.locator("h1")).to_have_text("Übersicht")

    page.click("#logout")
    expect(page.locator(".flash")).to_contain_text("abgemeldet")
    # The old cookie is revoked on the server, not only forgotten by the browser.
    answer = httpx.get(
        f"{demo.url}/dashboard", cookies={"docshelf_session": cookie["value"]}, trust_env=False
    )
    assert answer.status_code == 303


def test_a_plain_user_may_not_use_the_dashboard(demo: ServerProcess, page: Page) -> None:
    page.goto(f"{demo.url}/dashboard/login")
    page.fill("input[name=login]", "anna")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("Organisationsadministratoren")
    assert not [c for c in page.context.cookies() if c["name"] == "docshelf_session"]


def test_changed_sync_interval_reaches_a_client_at_its_next_sync(
    demo: ServerProcess, page: Page, tmp_path: Path, shots: Path
) -> None:
    anna = client(demo, tmp_path / "anna", "anna")
    synced(anna)
    assert anna.settings()[CLIENT_SYNC_INTERVAL] == 15 * 60_000

    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    page.click("nav a[data-section=settings]")
    expect(page.locator("#interval")).to_have_value("15")
    page.fill("#interval", "abc")
    page.click("#save-settings")
    expect(page.locator("#interval-error")).to_contain_text("keine Zahl")
    page.fill("#interval", "0")
    page.click("#save-settings")
    expect(page.locator("#interval-error")).to_contain_text("zwischen 1 und 1440")
    synced(anna)
    assert anna.settings()[CLIENT_SYNC_INTERVAL] == 15 * 60_000, "nothing saved on errors"

    page.fill("#interval", "20")
    page.click("#save-settings")
    expect(page.locator(".flash")).to_contain_text("nächsten Synchronisierung")
    expect(page.locator("#interval")).to_have_value("20")
    screenshots(page, "dashboard-settings", shots)
    synced(anna)
    assert anna.settings()[CLIENT_SYNC_INTERVAL] == 20 * 60_000
    assert anna.summary()["client_sync_interval_ms"] == 20 * 60_000

    page.fill("#interval", "15")
    page.click("#save-settings")
    expect(page.locator("#interval")).to_have_value("15")


def test_imported_package_reaches_a_client_byte_identical(
    demo: ServerProcess, page: Page, tmp_path: Path, shots: Path
) -> None:
    builder = sample("Paketbrief Dashboard")
    for template in builder.templates:  # Word files the server reads: a preview without warnings
        for entry in template["files"].values():
            del builder.files[entry["path"]]
            entry.update(builder.file(word(), "docx"))
    template_id = builder.templates[0]["id"]
    archive = builder.build(tmp_path / "paket.zip")
    ben = client(demo, tmp_path / "ben", "ben")
    synced(ben)

    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    # First in English, for the screenshots: a preview that is left waiting, unconfirmed.
    in_language(page, "en")
    page.click("nav a[data-section=packages]")
    screenshot(page, "dashboard-packages-en", shots)
    page.set_input_files("#package-file", str(archive))
    page.click("#preview-package")
    expect(page.locator("h1")).to_have_text("Import preview")
    screenshot(page, "dashboard-package-preview-en", shots)
    in_language(page, "de")

    page.click("nav a[data-section=packages]")
    screenshot(page, "dashboard-packages", shots)
    page.set_input_files("#package-file", str(archive))
    page.click("#preview-package")
    expect(page.locator("h1")).to_have_text("Vorschau des Imports")
    expect(page.locator("#added")).to_contain_text("Paketbrief Dashboard")
    screenshot(page, "dashboard-package-preview", shots)
    synced(ben)
    assert ben.store.view_record("template", template_id) is None, "nothing before confirming"

    page.click("#confirm-import")
    expect(page.locator("#import-result")).to_contain_text("Importiert")
    have_before, total = reach(page, demo)
    synced(ben)
    path, _name = template_file(ben.store, ben.files, template_id, "de")
    assert path.read_bytes() == builder.files[builder.templates[0]["files"]["de"]["path"]]
    # The summary counts ben among the clients that have the import now.
    assert reach(page, demo) == (have_before + 1, total)

    # The same package again: the preview says it changes nothing.
    page.click("nav a[data-section=packages]")
    page.set_input_files("#package-file", str(archive))
    page.click("#preview-package")
    expect(page.locator("#nothing-to-import")).to_be_visible()


def reach(page: Page, demo: ServerProcess) -> tuple[int, int]:
    """The summary's "n of m clients have the newest change"."""
    page.goto(f"{demo.url}/dashboard")
    expect(page.locator("#reach")).to_contain_text("Paketimport von admin")
    have, total = (page.locator("[data-reach]").get_attribute("data-reach") or "").split("/")
    return int(have), int(total)


def test_export_downloads_a_package_of_the_chosen_templates(
    demo: ServerProcess, page: Page, tmp_path: Path
) -> None:
    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    page.click("nav a[data-section=packages]")
    page.check("input[data-template='Vollmacht']")
    with page.expect_download() as download:
        page.click("#export-package")
    target = tmp_path / "export.zip"
    download.value.save_as(target)
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert [t["titles"]["de"] for t in manifest["templates"]] == ["Vollmacht"]


def test_broken_package_is_refused_with_its_reason(
    demo: ServerProcess, page: Page, tmp_path: Path
) -> None:
    broken = tmp_path / "kaputt.zip"
    broken.write_bytes(b"PK\x03\x04 this is no zip archive")
    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    page.goto(f"{demo.url}/dashboard/packages")
    page.set_input_files("#package-file", str(broken))
    page.click("#preview-package")
    expect(page.locator(".flash.error")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Pakete")


def test_a_form_without_its_csrf_token_is_refused(demo: ServerProcess, page: Page) -> None:
    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    # The browser's own cookies, a form without the token: as a forged cross-site post.
    answer = page.request.post(
        f"{demo.url}/dashboard/settings",
        form={"interval": "3", "delay": "1", "languages": "de, en"},
    )
    assert answer.status == 403
    page.click("nav a[data-section=settings]")
    expect(page.locator("#interval")).to_have_value("15")
    forged = page.request.post(
        f"{demo.url}/dashboard/settings",
        form={"csrf": "0" * 64, "interval": "3", "delay": "1", "languages": "de, en"},
    )
    assert forged.status == 403


def test_summary_shows_clients_their_lag_errors_and_the_newest_changes_reach(
    demo: ServerProcess, page: Page, tmp_path: Path, shots: Path
) -> None:
    clara = client(demo, tmp_path / "clara", "clara")
    synced(clara)
    demo.stop()
    failed = clara.sync()
    assert failed.status == "error"
    demo.start(timeout=60)
    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    # A change meanwhile, so that the next sync is recorded as one after the failure (the
    # server notes a sync to the same change number at most once a minute).
    page.goto(f"{demo.url}/dashboard/units")
    page.fill("#new-unit-title", "Empfang")
    page.click("#create-unit-submit")
    expect(page.locator("h1")).to_have_text("Empfang")
    synced(clara)  # tells the server about the failed one
    page.goto(f"{demo.url}/dashboard")

    row = page.locator("#clients tr[data-device='clara-laptop']")
    expect(row).to_contain_text("clara")
    expect(row.locator(".behind")).to_contain_text("aktuell")
    # The failure in German, the client's own words as the tooltip, and as the past: the
    # sync after it went through.
    error = row.locator(".error-cell [data-error]")
    expect(error).to_contain_text("Der Server war nicht erreichbar")
    expect(error).to_have_attribute("data-error", "offline")
    assert "reach the server" in (error.get_attribute("title") or "")
    expect(row.locator(".error-cell [data-resolved]")).to_have_text("behoben")
    assert int(page.locator("svg.chart").get_attribute("data-total") or 0) >= 1
    expect(page.locator("#reach [data-reach]")).to_be_visible()
    screenshots(page, "dashboard-summary", shots)


def test_deactivated_template_leaves_a_client_and_returns_when_restored(
    demo: ServerProcess, page: Page, tmp_path: Path, shots: Path
) -> None:
    david = client(demo, tmp_path / "david", "david")
    synced(david)
    held = {r["id"] for r in david.store.view("template")}
    template_id = sorted(held)[0]

    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    page.click("nav a[data-section=templates]")
    screenshots(page, "dashboard-templates", shots)
    page.click(f"tr[data-template='{template_id}'] a")
    page.click("#deactivate-template")
    expect(page.locator("#template-deactivated")).to_be_visible()
    synced(david)
    assert template_id not in {r["id"] for r in david.store.view("template")}

    # Listed among the deactivated ones, with Restore and a confirmed permanent delete.
    page.goto(f"{demo.url}/dashboard/templates?state=deactivated")
    expect(page.locator(f"tr[data-template='{template_id}']")).to_be_visible()
    page.click(f"tr[data-template='{template_id}'] a")
    screenshots(page, "dashboard-template-deactivated", shots)
    page.click("#restore-template")
    expect(page.locator("#template-deactivated")).to_have_count(0)
    synced(david)
    assert {r["id"] for r in david.store.view("template")} == held


def test_revoked_device_is_signed_out_at_its_next_sync(
    demo: ServerProcess, page: Page, tmp_path: Path, shots: Path
) -> None:
    eva = client(demo, tmp_path / "eva", "eva")
    synced(eva)
    config = eva.config
    assert config is not None

    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    page.click("nav a[data-section=users]")
    screenshots(page, "dashboard-users", shots)
    page.click("a[data-user-link=eva]")
    row = page.locator(f"tr[data-device='{config.device_id}']")
    expect(row.locator("[data-revoked]")).to_have_attribute("data-revoked", "no")
    page.click(f"#revoke-{config.device_id}")
    expect(row.locator("[data-revoked]")).to_have_attribute("data-revoked", "yes")
    screenshots(page, "dashboard-user", shots)

    result = eva.sync()
    assert result.status == "error"
    assert "sign" in (result.error or "").lower()
    assert eva.status().state.value == "signed_out"
    # The cache stays readable after the failure.
    assert eva.store.view("template")


def test_every_page_renders_in_both_languages(demo: ServerProcess, page: Page, shots: Path) -> None:
    sign_in(page, demo.url, "admin", DEMO_PASSWORD)
    sections = page.locator("header nav a").evaluate_all(
        "links => links.map(a => a.dataset.section)"
    )
    assert sections == [
        "summary", "settings", "users", "groups", "templates",
        "snippets", "fields", "units", "packages", "audit",
    ]  # fmt: skip
    headings: dict[str, str] = {}
    for section in sections:
        page.click(f"nav a[data-section={section}]")
        expect(page.locator(f"nav a[data-section={section}]")).to_have_attribute(
            "aria-current", "page"
        )
        headings[section] = page.locator("h1").inner_text()
        if section in ("groups", "snippets", "fields", "units"):
            screenshots(page, f"dashboard-{section}", shots)
    page.click("#switch-language")
    for section in sections:
        page.click(f"nav a[data-section={section}]")
        english = page.locator("h1").inner_text()
        assert english != headings[section], section
    page.click("#switch-language")


def test_an_org_user_sees_what_concerns_units(demo: ServerProcess, page: Page) -> None:
    sign_in(page, demo.url, "org", DEMO_PASSWORD)
    sections = page.locator("header nav a").evaluate_all(
        "links => links.map(a => a.dataset.section)"
    )
    assert sections == ["summary", "units", "fields"]
    expect(page.locator("#clients")).to_have_count(0)  # the clients are the Sys's
    # The pictures are held back until the page is shown, as a busy server may be late
    # with them: the test must wait for the picture, never assume it is there already.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/dashboard/files/**", hold)
    page.click("nav a[data-section=units]")
    expect(page.locator("h1")).to_have_text("Organisationseinheiten")
    # The company logo (an image field) is shown as the picture, served to the visitor.
    logo = page.locator("img.thumb").first
    expect(logo).to_be_visible()
    assert held, "the page asked for no picture"
    assert logo.evaluate("img => img.complete") is False
    for route in held:
        route.continue_()
    page.unroute("**/dashboard/files/**")
    expect(logo).to_have_js_property("complete", True)
    assert logo.evaluate("img => img.naturalWidth") > 0, "the picture did not decode"
    source = logo.get_attribute("src") or ""
    assert page.request.get(f"{demo.url}{source}").headers["content-type"].startswith("image/")
    anonymous = httpx.get(f"{demo.url}{source}", trust_env=False)
    assert anonymous.status_code == 303, "only for a signed-in visitor"
    answer = page.goto(f"{demo.url}/dashboard/users")
    assert answer is not None and answer.status == 403
