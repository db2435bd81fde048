"""The one retry policy of every call skytally makes to Azure.

azure-core's RetryPolicy, configured once: transient answers (408, 429, 500, 502, 503,
504) and connection failures (refused, reset, timed out) are retried with exponential
backoff, honouring `Retry-After` up to RETRY_AFTER_CAP (a server asking for an hour is
not obeyed blindly: the call fails, saying so, and the next run retries). POST is retried
too: the POSTs skytally sends (token requests, Cost Details report requests) are safe to
repeat. Every client the connector builds uses it: the SDK clients (ARM, Resource Graph,
Cost Management, authorization), azure-identity's token requests, the thin REST clients
(Graph, ARM REST, EA reporting, OpenID discovery), the report blob downloads (which also
restart a download whose body stream breaks) and MSAL's sign-in requests (urllib3's Retry
with the same figures: MSAL takes a requests session).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, RetryPolicy

RETRY_STATUS = (408, 429, 500, 502, 503, 504)


@dataclass(frozen=True)
class RetrySettings:
    total: int = 4  # retries after the first attempt
    backoff: float = 0.8  # seconds, doubled each retry
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0  # the longest Retry-After obeyed
    connect_timeout: float = 20.0
    read_timeout: float = 120.0  # a stalled answer counts as a failed attempt

    def policy_kwargs(self) -> dict[str, Any]:
        return {"retry_total": self.total, "retry_connect": self.total, "retry_read": self.total,
                "retry_status": self.total, "retry_backoff_factor": self.backoff,
                "retry_backoff_max": self.backoff_max}

    def transport_kwargs(self) -> dict[str, Any]:
        return {"connection_timeout": self.connect_timeout, "read_timeout": self.read_timeout}


DEFAULT = RetrySettings()


class SkytallyRetryPolicy(RetryPolicy):
    """azure-core's RetryPolicy with POST retried and Retry-After capped."""

    retry_after_cap: float = DEFAULT.retry_after_cap

    def __init__(self, **kwargs: Any) -> None:
        cap = kwargs.pop("retry_after_cap", None)
        super().__init__(**kwargs)
        if cap is not None:
            self.retry_after_cap = float(cap)
        self._method_whitelist = frozenset([*self._method_whitelist, "POST"])

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        after = super().get_retry_after(response)
        return None if after is None else min(after, self.retry_after_cap)

    def increment(self, settings: dict[str, Any], response: Any = None, error: Any = None) -> bool:
        # a Retry-After beyond the cap: not worth waiting for within this call
        if response is not None and hasattr(response, "http_response"):
            raw = super().get_retry_after(response)
            if raw is not None and raw > self.retry_after_cap:
                return False
        return super().increment(settings, response=response, error=error)


class ReadWholeAnswer(HTTPPolicy):  # type: ignore[type-arg]
    """Inside the retry loop: reads the answer's body, so a connection that breaks after
    the status line is retried like any other failure. The SDKs read some answers (an
    LRO's first answer) after the pipeline returns, out of the retry policy's reach. For
    the SDK clients only: their answers are small JSON documents (downloads stream
    through rest.py, which restarts a broken one)."""

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        response = self.next.send(request)
        try:
            answer = response.http_response
            answer.read() if hasattr(answer, "read") else answer.body()  # new and legacy answers
        except AzureError as exc:
            raise ServiceResponseError(f"the answer broke off: {exc}", error=exc) from exc
        return response


def current() -> RetrySettings:
    """The settings in force (tests shorten them: `monkeypatch.setattr(retry, "DEFAULT", ...)`)."""
    return DEFAULT


def retry_policy(settings: RetrySettings | None = None) -> SkytallyRetryPolicy:
    settings = settings or current()
    return SkytallyRetryPolicy(retry_after_cap=settings.retry_after_cap, **settings.policy_kwargs())


def urllib3_retry(settings: RetrySettings | None = None) -> Any:
    """The same policy for libraries that take a requests session (MSAL)."""
    from urllib3.util.retry import Retry

    settings = settings or current()
    cap = settings.retry_after_cap

    class CappedRetry(Retry):  # type: ignore[misc]
        def get_retry_after(self, response: Any) -> float | None:
            after = super().get_retry_after(response)
            return None if after is None else min(after, cap)

    return CappedRetry(total=settings.total, connect=settings.total, read=settings.total,
                       status=settings.total, backoff_factor=settings.backoff, allowed_methods=None,
                       status_forcelist=RETRY_STATUS, respect_retry_after_header=True,
                       raise_on_status=False)


def requests_session(verify: str | bool) -> Any:
    """A requests session with the same policy (for MSAL): urllib3's Retry for statuses
    and connections, and a retried request when the answer's body breaks off (a reset
    or a stall after the status line, which urllib3 does not retry)."""
    import time

    import requests
    import requests.adapters

    settings = current()
    session = requests.Session()
    session.mount("https://", requests.adapters.HTTPAdapter(max_retries=urllib3_retry(settings)))
    send = session.request
    broken = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
              requests.exceptions.Timeout)

    def request(method: str, url: str, **kwargs: Any) -> Any:
        # `verify` per request: REQUESTS_CA_BUNDLE would override a session-level one
        kwargs.setdefault("timeout", (settings.connect_timeout, settings.read_timeout))
        for attempt in range(settings.total + 1):
            try:
                return send(method, url, verify=verify, **kwargs)
            except broken:
                if attempt == settings.total:
                    raise
                time.sleep(min(settings.backoff * 2 ** attempt, settings.backoff_max))
        raise AssertionError("unreachable")

    session.request = request  # type: ignore[method-assign,assignment]
    return session
