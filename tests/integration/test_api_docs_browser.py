"""The API docs in a real browser: Swagger UI renders the operations of our OpenAPI 3.1
document and can try one, with no Content-Security-Policy violation and no request that
leaves the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from support.api import LiveServer
from support.browser import chromium

REPORT_VIOLATIONS = (
    "document.addEventListener('securitypolicyviolation',"
    " e => console.error('CSP violation', e.violatedDirective, e.blockedURI))"
)


def test_swagger_ui_renders_and_tries_an_operation_offline(live: LiveServer) -> None:
    here = urlsplit(live.url).netloc
    console: list[str] = []
    requested: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("console", lambda message: console.append(message.text))
        page.on("request", lambda request: requested.append(request.url))
        page.add_init_script(REPORT_VIOLATIONS)
        page.goto(f"{live.url}/api/v1/docs")
        page.locator(".opblock").first.wait_for(state="attached", timeout=30_000)
        assert page.locator(".opblock").count() > 20
        page.locator(".opblock-summary").first.click()
        page.locator(".try-out__btn").first.click()
        page.locator(".execute").first.click()
        page.locator(".responses-wrapper .live-responses-table").first.wait_for(timeout=30_000)
    assert not [line for line in console if "CSP violation" in line]
    assert requested and all(urlsplit(url).netloc == here for url in requested), requested
