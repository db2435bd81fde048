"""Security headers, safe redirects and login throttling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skytally.errors import UserError

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds CSP and friends to every response (pages, API, static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in [(b"content-security-policy", CSP.encode()), *HEADERS]:
                    if name not in present:
                        headers.append((name, value))
                if not scope.get("path", "").startswith("/static/") and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local paths: no scheme, no host, no protocol-relative `//evil`, no backslashes."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in value):
        return default
    if parts.path.startswith(("/login", "/logout")):
        return default
    return value


class TooManyAttempts(UserError):
    status_code = 429


class LoginThrottle:
    """Failed sign-ins slow down the source they come from, never lock an account.

    Failures are counted per (account, client address) and per client address. After
    `free` failures of a pair (or `free_per_ip` of an address, across accounts) each
    further attempt must wait a delay that doubles with each failure, up to `max_delay`;
    an attempt before it is refused (429, saying how long to wait). Someone guessing
    passwords from one address is slowed down for that account and that address only:
    the account's owner, signing in from elsewhere, is not affected, and nobody can lock
    anyone out. A success clears the pair; counts fade after `window` seconds.
    """

    def __init__(self, free: int = 3, free_per_ip: int = 20, base_delay: float = 1.0,
                 max_delay: float = 900.0, window: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.free_per_ip = free, free_per_ip
        self.base_delay, self.max_delay, self.window = base_delay, max_delay, window
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, last failure)
        self._lock = threading.Lock()

    def _wait(self, key: str, free: int, now: float) -> float:
        count, last = self._failures.get(key, (0, now))
        if now - last > self.window:
            self._failures.pop(key, None)
            return 0.0
        if count < free:
            return 0.0
        delay = min(self.base_delay * 2 ** (count - free), self.max_delay)
        return max(0.0, last + delay - now)

    def check(self, email: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            wait = max(self._wait(f"pair:{email.lower()}|{ip}", self.free, now),
                       self._wait(f"ip:{ip}", self.free_per_ip, now))
        if wait > 0:
            seconds = int(wait) + 1
            shown = f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 120 else f"{seconds // 60 + 1} minutes"
            raise TooManyAttempts(f"too many failed sign-ins from this address; wait {shown} and try again")

    def failed(self, email: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"pair:{email.lower()}|{ip}", f"ip:{ip}"):
                count, last = self._failures.get(key, (0, now))
                self._failures[key] = (0 if now - last > self.window else count) + 1, now
            if len(self._failures) > 100_000:  # bounded memory: forget the oldest
                for key, _ in sorted(self._failures.items(), key=lambda kv: kv[1][1])[:50_000]:
                    self._failures.pop(key, None)

    def succeeded(self, email: str, ip: str = "") -> None:
        with self._lock:
            self._failures.pop(f"pair:{email.lower()}|{ip}", None)
