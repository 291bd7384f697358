"""Debian's Chromium driven by Playwright's sync API (Playwright's own browser download is not used).

    with chromium() as browser:
        page = browser.new_page()

Install the browser with `make browser` (apt-get install chromium).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserMissing(RuntimeError):
    """Debian's chromium is not installed."""


def require_chromium() -> Path:
    if not CHROMIUM.is_file():
        raise BrowserMissing(
            f"the browser tests need Debian's Chromium at {CHROMIUM}, which is missing: "
            "run `make browser` (apt-get install chromium)"
        )
    return CHROMIUM


@contextmanager
def chromium(*, headless: bool = True) -> Iterator["playwright.sync_api.Browser"]:  # noqa: F821 - lazy import
    """A headless Chromium for the duration of the block."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=headless, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
