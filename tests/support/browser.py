"""Debian's Chromium driven by Playwright, launched by its path (Playwright downloads no
browser), with what a dashboard test needs: a signed-in page and screenshots."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Without the background-networking flags Chromium tries to reach Google at every start;
# tests only ever talk to 127.0.0.1.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class BrowserMissing(RuntimeError):
    pass


def chromium_path() -> str:
    found = os.environ.get("DOCSHELF_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise BrowserMissing(
            "Chromium is not installed: the dashboard tests need Debian's chromium package"
            " (`scripts/system-packages.sh browser`, run by `make test` as root)."
        )
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Page, url: str, login: str, password: str) -> None:
    page.goto(f"{url}/dashboard/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{url}/dashboard")


def in_language(page: Page, language: str) -> None:
    """Choose the dashboard's language as the switch in the navigation does (its cookie)."""
    host = urlsplit(page.url).hostname or "127.0.0.1"
    page.context.add_cookies(
        [{"name": "docshelf_lang", "value": language, "domain": host, "path": "/dashboard"}]
    )


def screenshots(page: Page, name: str, folder: Path) -> None:
    """The page as shown (German) and once more in English (``<name>-en``), reloaded: for
    pages a GET shows."""
    screenshot(page, name, folder)
    in_language(page, "en")
    page.reload()
    screenshot(page, f"{name}-en", folder)
    in_language(page, "de")
    page.reload()


def screenshot(page: Page, name: str, folder: Path) -> Path:
    """A PNG of what the window shows; into docs/screenshots, with a reduced palette to
    keep the repository small, when DOCSHELF_UPDATE_SCREENSHOTS=1."""
    for_docs = os.environ.get("DOCSHELF_UPDATE_SCREENSHOTS") == "1"
    target_dir = SCREENSHOTS if for_docs else folder
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{name}.png"
    page.screenshot(path=str(target))
    if for_docs:
        with Image.open(target) as shot:
            small = shot.convert("RGB").quantize(colors=64, dither=Image.Dither.NONE)
        small.save(target, optimize=True)
    return target
