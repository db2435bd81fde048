"""The browser preamble every browser test shared: Debian's Chromium launched headless, a
context at the test's viewport, a page with a 15 s timeout that records console errors,
page errors, failed requests and HTTP errors (`Problems`), and signing in."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from e2e.stack import CHROMIUM, CHROMIUM_ARGS, Browsing, Problems


@pytest.fixture
def browse() -> Iterator[Callable[..., Browsing]]:
    """`browse(width, height, problems=..., accept_downloads=..., failed_requests=...)`
    opens a page in a fresh context of one Chromium, closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)

        def open_page(width: int, height: int, *, problems: Problems | None = None, accept_downloads: bool = False,
                      failed_requests: bool = True) -> Browsing:
            found = problems if problems is not None else Problems()
            context = browser.new_context(viewport={"width": width, "height": height},
                                          accept_downloads=accept_downloads)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("console", lambda m: m.type == "error" and found.add(f"console: {m.text}"))
            page.on("pageerror", lambda e: found.add(f"page error: {e}"))
            if failed_requests:
                # net::ERR_ABORTED is the browser cancelling a request it no longer needs (a favicon
                # when the page navigates on), not a failure of the server.
                page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")
                        and found.add(f"request failed: {r.method} {r.url} {r.failure}"))
            page.on("response", lambda r: r.status >= 400 and found.add(f"HTTP {r.status}: {r.request.method} {r.url}"))
            return Browsing(page, context, found)

        try:
            yield open_page
        finally:
            browser.close()
