"""Thin typed REST clients on azure-core's pipeline, for the few calls without a fitting SDK.

Why not the official SDKs here: Microsoft Graph's SDK (msgraph-sdk) is async-only and
large for the three directory reads skytally needs; azure-mgmt-billing is a sizeable
package for one GET of a billing account; the permissions API at subscription scope has
no operation in azure-mgmt-authorization; the legacy EA reporting API has no SDK at all.
These clients use the same credential objects, retry policy and CA bundle as the SDKs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from azure.core import PipelineClient
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest

from skytally.azure import retry
from skytally.azure.errors import AzureHttpError, AzureUnreachable

USER_AGENT = "skytally"


class StaticTokenCredential:
    """A TokenCredential around one access token held in memory only (a delegated token
    obtained during a consent callback). It is never written anywhere."""

    def __init__(self, token: str, expires_on: int) -> None:
        self._token = AccessToken(token, expires_on)

    def __repr__(self) -> str:
        return "StaticTokenCredential(<hidden>)"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._token

    def forget(self) -> None:
        self._token = AccessToken("", 0)


def _error_of(status: int, body: bytes) -> AzureHttpError:
    code, message = str(status), body.decode("utf-8", "replace")[:500]
    try:
        doc = json.loads(body)
    except ValueError:
        return AzureHttpError(status, code, message)
    err = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(err, dict):
        code = str(err.get("code") or code)
        message = str(err.get("message") or message)
    elif isinstance(err, str):  # Entra ID shape
        code = err
        message = str(doc.get("error_description") or message)
    elif isinstance(doc, dict) and "message" in doc:
        message = str(doc["message"])
    return AzureHttpError(status, code, message)


@dataclass
class _Pipeline:
    base_url: str
    client: PipelineClient[HttpRequest, Any]

    def _url(self, path: str, params: dict[str, str] | None) -> str:
        # An absolute URL (an @odata.nextLink) is used as it is.
        url = path if path.startswith(("https://", "http://")) else self.base_url + path
        if params:
            url += ("&" if "?" in url else "?") + "&".join(
                f"{quote(k, safe='$')}={quote(v, safe='')}" for k, v in params.items()
            )
        return url

    def download(self, path: str, dest: Path, params: dict[str, str] | None = None) -> int:
        """Stream a (large) answer into `dest`; returns the bytes written. The retry
        policy covers the answer's status line; a stream that breaks after it (a reset,
        a stall past the read timeout) restarts the download, as many times."""
        settings = retry.current()
        for attempt in range(settings.total + 1):
            request = HttpRequest("GET", self._url(path, params))
            try:
                response = self.client.send_request(request, stream=True)
            except (ServiceRequestError, ServiceResponseError) as exc:
                raise AzureUnreachable(f"{self._host(path)} could not be reached: {exc}") from exc
            try:
                if response.status_code >= 400:
                    raise _error_of(response.status_code, response.read())
                written = 0
                with open(dest, "wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                        written += len(chunk)
                return written
            except AzureHttpError:
                raise
            except (AzureError, OSError) as exc:
                if attempt == settings.total:
                    raise AzureUnreachable(f"downloading from {self._host(path)} broke off: {exc}") from exc
                time.sleep(min(settings.backoff * 2 ** attempt, settings.backoff_max))
            finally:
                response.close()
        raise AssertionError("unreachable")

    def _host(self, path: str) -> str:
        url = self._url(path, None)
        return url.split("?", 1)[0] if url.startswith(("https://", "http://")) else self.base_url

    def location(self, path: str, params: dict[str, str] | None = None) -> str:
        """The Location of a redirect answer (Graph reports: a short-lived download URL)."""
        request = HttpRequest("GET", self._url(path, params))
        try:
            response = self.client.send_request(request)
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise AzureUnreachable(f"{self.base_url} could not be reached: {exc}") from exc
        body = response.read()
        if response.status_code >= 400:
            raise _error_of(response.status_code, body)
        location = response.headers.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            raise AzureHttpError(response.status_code, "NoRedirect", "expected a redirect to a download URL")
        return str(location)

    def get(self, path: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Any:
        request = HttpRequest("GET", self._url(path, params), headers=headers or {})
        try:
            response = self.client.send_request(request)
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise AzureUnreachable(f"{self.base_url} could not be reached: {exc}") from exc
        body = response.read()
        if response.status_code >= 400:
            raise _error_of(response.status_code, body)
        if not body:
            return {}
        return json.loads(body)


def _pipeline(
    base_url: str,
    credential: TokenCredential | None,
    scope: str | None,
    transport_kwargs: dict[str, Any],
    extra_headers: dict[str, str] | None = None,
) -> _Pipeline:
    policies: list[Any] = [
        HeadersPolicy(extra_headers or {}),
        UserAgentPolicy(user_agent=USER_AGENT),
        retry.retry_policy(),
    ]
    if credential is not None and scope is not None:
        policies.append(BearerTokenCredentialPolicy(credential, scope))
    client: PipelineClient[HttpRequest, Any] = PipelineClient(
        base_url, policies=policies, **transport_kwargs
    )
    return _Pipeline(base_url.rstrip("/"), client)


class BlobClient:
    """Report blobs (SAS URLs: the URL is the credential)."""

    def __init__(self, transport: dict[str, Any]) -> None:
        self._p = _pipeline("", None, None, transport)

    def download(self, url: str, dest: Path) -> int:
        return self._p.download(url, dest)


class ArmRestClient:
    """GETs on Resource Manager paths that no installed SDK covers."""

    def __init__(self, base_url: str, credential: TokenCredential, scope: str, transport: dict[str, Any]) -> None:
        self._p = _pipeline(base_url, credential, scope, transport)

    def get(self, path: str, api_version: str, **params: str) -> Any:
        return self._p.get(path, {"api-version": api_version, **params})


class GraphClient:
    """Microsoft Graph v1.0 reads (directory objects)."""

    def __init__(self, base_url: str, credential: TokenCredential, scope: str, transport: dict[str, Any]) -> None:
        self._p = _pipeline(base_url + "/v1.0", credential, scope, transport)

    def get(self, path: str, **params: str) -> Any:
        return self._p.get(path, params or None)

    def pages(self, path: str, params: dict[str, str] | None = None,
              headers: dict[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Each page's ``value`` of a collection, following ``@odata.nextLink`` to the end."""
        url: str | None = path
        query = params
        while url:
            body = self._p.get(url, query, headers)
            yield list(body.get("value", []))
            url, query = body.get("@odata.nextLink"), None

    def redirect(self, path: str) -> str:
        """Where a function answering 302 (a usage report) sends its caller."""
        return self._p.location(path)


class EaReportingClient:
    """The legacy EA reporting API, authenticated by an enrollment API key."""

    def __init__(self, base_url: str, api_key: str, transport: dict[str, Any]) -> None:
        self._p = _pipeline(base_url, None, None, transport, {"Authorization": f"bearer {api_key}"})

    def get(self, path: str, **params: str) -> Any:
        return self._p.get(path, params or None)

    def download(self, path: str, dest: Path, **params: str) -> int:
        """Synchronous CSV downloads (usage details), streamed to a file."""
        return self._p.download(path, dest, params or None)


class OpenIdClient:
    """Anonymous reads of Entra ID discovery documents."""

    def __init__(self, authority: str, transport: dict[str, Any]) -> None:
        self._p = _pipeline(authority, None, None, transport)

    def configuration(self, tenant: str) -> dict[str, Any]:
        doc = self._p.get(f"/{quote(tenant, safe='')}/v2.0/.well-known/openid-configuration")
        return doc if isinstance(doc, dict) else {}


def expires_soon(token: AccessToken, margin: int = 60) -> bool:
    return token.expires_on - margin < time.time()
