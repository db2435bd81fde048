"""Security headers, safe redirects and login throttling."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
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
    """Counts failed sign-ins per email and per client address over a sliding window."""

    def __init__(self, per_email: int = 5, per_ip: int = 30, window_seconds: int = 900) -> None:
        self.per_email = per_email
        self.per_ip = per_ip
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] < now - self.window:
            times.popleft()
        return times

    def check(self, email: str, ip: str) -> None:
        now = time.monotonic()
        with self._lock:
            by_email = self._recent(f"email:{email.lower()}", now)
            by_ip = self._recent(f"ip:{ip}", now)
            if len(by_email) >= self.per_email or len(by_ip) >= self.per_ip:
                firsts = [q[0] for q in (by_email, by_ip) if q]
                oldest = min(firsts) if firsts else now
                minutes = max(1, int((oldest + self.window - now) // 60) + 1)
                raise TooManyAttempts(
                    f"too many failed sign-ins; wait {minutes} minute"
                    f"{'s' if minutes != 1 else ''} and try again"
                )

    def failed(self, email: str, ip: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures[f"email:{email.lower()}"].append(now)
            self._failures[f"ip:{ip}"].append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"email:{email.lower()}", None)
