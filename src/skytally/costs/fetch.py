"""The billing API calls of a cost import: download one billing period's cost files.

- `cost_details`: the Cost Details API (`generateCostDetailsReport`, an asynchronous
  operation the SDK polls), actual and amortized, then the manifest's blobs (SAS URLs).
- `legacy_ea`: the legacy EA reporting API's usage details CSV download and the period's
  balance summary (for the currency, which the CSV does not carry).

Errors become `SourceFailed` with a sentence that names the cause and the fix.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.costmanagement.models import (
    CostDetailsTimePeriod,
    GenerateCostDetailsReportRequestDefinition,
)
from pydantic import SecretStr

from skytally.accounts.service import ea_token_refusal as refusal
from skytally.azure.clients import AzureConnector
from skytally.azure.rest import AzureHttpError, AzureUnreachable

Progress = Callable[[float, float, str], None]
METRICS = (("ActualCost", "actual"), ("AmortizedCost", "amortized"))
COMPLETED = "Completed"
NO_DATA = "NoDataFound"


class SourceFailed(Exception):
    """A period could not be fetched; `message` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenRefused(SourceFailed):
    """The EA API refused the access token (401): it was revoked."""


@dataclass(frozen=True)
class Source:
    """One cost scope of a cloud account."""

    account_id: int
    kind: str  # ea_token | billing_account | subscription
    scope_id: str  # the billing account id (or subscription id) the store partitions by
    name: str
    agreement: str = ""
    credential_id: int | None = None

    @property
    def arm_scope(self) -> str:
        if self.kind == "subscription":
            return f"subscriptions/{self.scope_id}"
        return f"providers/Microsoft.Billing/billingAccounts/{self.scope_id}"

    @property
    def store_kind(self) -> str:
        """The kind of scope, as the cost store ranks overlapping sources (coverage.py)."""
        if self.kind == "ea_token":
            return "ea_enrollment_key"
        if self.kind == "subscription":
            return "subscription"
        if "/invoicesections/" in self.scope_id.lower():
            return "invoice_section"
        if "/billingprofiles/" in self.scope_id.lower():
            return "billing_profile"
        return "ea_enrollment_sp" if self.is_ea else "mca_billing_account"

    @property
    def is_ea(self) -> bool:
        return self.scope_id.isdigit() or self.agreement == "EnterpriseAgreement"


def month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


# --- Cost Details API --------------------------------------------------------------------
def _request(source: Source, period: str, metric: str) -> GenerateCostDetailsReportRequestDefinition:
    if source.kind == "billing_account" and source.is_ea:
        return GenerateCostDetailsReportRequestDefinition(metric=metric, billing_period=period.replace("-", ""))
    start, end = month_bounds(period)
    return GenerateCostDetailsReportRequestDefinition(
        metric=metric, time_period=CostDetailsTimePeriod(start=start.isoformat(), end=end.isoformat()))


def cost_details(connector: AzureConnector, credential: TokenCredential, source: Source, period: str,
                 work: Path, report: Progress) -> tuple[list[Path], str | None]:
    """Both reports of the period as files in `work` (empty: Microsoft has no data)."""
    client = connector.cost_management(credential)
    files: list[Path] = []
    try:
        for step, (metric, kind) in enumerate(METRICS):
            report(step, 3, f"{metric} report for {period}: waiting for Microsoft to write it")
            try:
                poller = client.generate_cost_details_report.begin_create_operation(
                    source.arm_scope, _request(source, period, metric))
                result = poller.result()
            except (HttpResponseError, ClientAuthenticationError) as exc:
                raise SourceFailed(explain_api_error(exc, source)) from None
            status = str(getattr(result.status, "value", result.status) or "")
            if status == NO_DATA:
                continue
            if status != COMPLETED:
                raise SourceFailed(f"the {metric} report for {source.name} {period} ended with status {status!r}")
            manifest = result.manifest
            blobs = list(manifest.blobs or []) if manifest is not None else []
            gz = bool(manifest.compress_data) if manifest is not None else False
            for n, blob in enumerate(blobs, 1):
                dest = work / f"{kind}_part_{n}.csv{'.gz' if gz else ''}"
                report(step + n / (len(blobs) + 1), 3, f"downloading {metric} blob {n} of {len(blobs)}")
                try:
                    connector.download_blob(str(blob.blob_link), dest)
                except (AzureHttpError, AzureUnreachable) as exc:
                    raise SourceFailed(f"downloading the {metric} report of {source.name} failed: "
                                       f"{explain_api_error(exc, source)}") from None
                files.append(dest)
    finally:
        client.close()
    return files, None


# --- legacy EA reporting API ------------------------------------------------------------------
def legacy_ea(connector: AzureConnector, token: SecretStr, enrollment: str, period: str,
              work: Path) -> tuple[list[Path], str | None]:
    client = connector.ea_reporting(token)
    yyyymm = period.replace("-", "")
    base = f"/v3/enrollments/{enrollment}"
    dest = work / f"ea-usage-{enrollment}-{yyyymm}-actual.csv"
    try:
        summary = client.get(f"{base}/billingPeriods/{yyyymm}/balancesummary")
        client.download(f"{base}/usagedetails/download", dest, billingPeriod=yyyymm)
    except AzureHttpError as exc:
        if exc.status == 401:
            raise TokenRefused(refusal(exc.message, enrollment)) from None
        raise SourceFailed(f"the EA API failed for enrollment {enrollment} ({exc.status} {exc.code}): "
                           f"{exc.message[:200]}") from None
    except AzureUnreachable as exc:
        raise SourceFailed(f"the EA API could not be reached: {exc}") from None
    currency = None
    if isinstance(summary, dict):
        currency = summary.get("currencyCode") or (summary.get("properties") or {}).get("currencyCode")
    if _data_lines(dest) == 0:
        return [], currency
    return [dest], str(currency) if currency else None


def _data_lines(path: Path) -> int:
    with open(path, "rb") as f:
        f.readline()  # header
        return sum(1 for line in f if line.strip())


def explain_api_error(exc: Exception, source: Source) -> str:
    """A sentence for an Azure failure of the Cost Details API or a blob download."""
    if isinstance(exc, ClientAuthenticationError):
        return f"the service principal could not sign in: {getattr(exc, 'message', exc)}"
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        code = exc.error.code if exc.error is not None else ""
        message = exc.error.message if exc.error is not None else str(exc.message)
        if status in (401, 403):
            role = "EnrollmentReader" if source.is_ea else "Billing Account Reader"
            if source.kind == "subscription":
                role = "Reader (or Cost Management Reader)"
            return (f"access denied on {source.name} ({code or status}): assign the service principal "
                    f"{role} on it and import again")
        if status == 404:
            return f"{source.name} was not found ({code or status}): {message}"
        if status == 429:
            return f"Microsoft throttled the Cost Details API for {source.name} (429); the next run retries"
        return f"the Cost Details API failed for {source.name} ({status} {code}): {message}"
    if isinstance(exc, AzureHttpError):
        return f"{exc.status} {exc.code}: {exc.message[:200]}"
    return str(exc)
