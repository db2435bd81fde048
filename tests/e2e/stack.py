"""What every browser test needs: Debian's Chromium, a free port, the real app served by
uvicorn with an in-process worker, and emulator settings applied while a runtime is built."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from azure_emulator.testing import RunningEmulator
from skytally.runtime import Runtime
from skytally.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def screenshots_dir() -> Path:
    shots = Path(os.environ.get("SKYTALLY_SCREENSHOTS") or Path(os.environ.get("TMPDIR", "/tmp")) / "skytally-screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    return shots


@contextmanager
def serving(runtime: Runtime, port: int) -> Iterator[str]:
    """Serve the app (and run a job worker) until the block ends; yields the base URL."""
    import uvicorn

    consumer = runtime.queue.consumer(workers=1)
    consumer.start()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        consumer.stop(graceful=True)
        runtime.close()


@contextmanager
def emulator_settings(emulator: RunningEmulator) -> Iterator[None]:
    """The emulator's SKYTALLY_* variables in the environment, restored afterwards."""
    saved = {k: os.environ.get(k) for k in emulator.settings}
    os.environ.update(emulator.settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class Problems:
    """Console errors, page errors and failed requests seen while a test clicks around."""

    items: list[str] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)  # URL fragments allowed to fail

    def add(self, text: str) -> None:
        if not any(fragment in text for fragment in self.expected):
            self.items.append(text)


@dataclass
class Browsing:
    page: Any  # playwright.sync_api.Page (imported only when a browser test runs)
    context: Any  # playwright.sync_api.BrowserContext
    problems: Problems

    def sign_in(self, url: str, email: str, password: str) -> None:
        """Open `url` (signed out, the login form answers) and sign in; the app then goes
        back to `url`."""
        self.page.goto(url)
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
