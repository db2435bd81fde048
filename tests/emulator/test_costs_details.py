"""Cost Details API over HTTPS: the official SDK's LRO, manifest conformance, blobs and SAS,
totals to the cent, validation errors, RBAC, throttling, no-data answers."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.costmanagement.models import (
    GenerateCostDetailsReportRequestDefinition,
)

from azure_emulator.testing import RunningEmulator

from ._arm_clients import _close_sdk_clients, track  # noqa: F401
from ._costs import (
    download,
    ea_client,
    emulator_now,
    fast_reports,  # noqa: F401
    generate,
    minted_user_token,
    poll,
    previous_month,
    total,
    truth,
)
from ._swagger import SPECS, Swagger, load, requires_reference, shape_errors

pytestmark = pytest.mark.usefixtures("fast_reports")
SPEC = "Microsoft.CostManagement/stable/2023-11-01/costmanagement.generatecostdetailsreport.json"


def _ea_scope(fx: dict[str, str]) -> str:
    return f"providers/Microsoft.Billing/billingAccounts/{fx['ea_enrollment_number']}"


def _mca_token(emu: RunningEmulator) -> str:
    return minted_user_token(emu, emu.fixtures["second_owner_upn"])


def test_sdk_lro_ea_billing_period_matches_truth(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    _, _, period = previous_month(emulator)
    client = track(ea_client(emulator))
    for metric in ("ActualCost", "AmortizedCost"):
        poller = client.generate_cost_details_report.begin_create_operation(
            _ea_scope(fx), GenerateCostDetailsReportRequestDefinition(metric=metric, billing_period=period))
        result = poller.result()
        assert result.status == "Completed"
        manifest = result.as_dict()["manifest"]
        assert manifest["requestContext"]["requestBody"] == {"metric": metric, "billingPeriod": period}
        rows = download(http, manifest)
        expected = truth(emulator, fx["ea_enrollment_number"], period=period, metric=metric)
        assert len(rows) == expected["rows"] and total(rows) == Decimal(expected["total"])
        assert sum(b["byteCount"] for b in manifest["blobs"]) == manifest["byteCount"]


@requires_reference
def test_manifest_conforms_to_example_and_swagger(emulator: RunningEmulator, http: httpx.Client) -> None:
    token = _mca_token(emulator)
    fx = emulator.fixtures
    start, end, _ = previous_month(emulator)
    scope = f"providers/Microsoft.Billing/billingAccounts/{fx['mca_billing_account_id']}"
    body = {"metric": "AmortizedCost", "timePeriod": {"start": start.isoformat(), "end": end.isoformat()}}
    accepted = generate(http, emulator, token, scope, body)
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    assert urlsplit(location).path.endswith("/providers/Microsoft.CostManagement/costDetailsOperationResults/"
                                            + location.rsplit("/", 1)[-1].split("?")[0])
    assert accepted.headers["retry-after"].isdigit()
    done = poll(http, token, location)
    assert done.status_code == 200
    result = done.json()
    example = json.loads((SPECS / "Microsoft.CostManagement/stable/2024-08-01/examples/"
                                  "CostDetailsOperationResultsBySubscriptionScope.json").read_text())["responses"]["200"]["body"]
    assert shape_errors(example, result) == []
    assert Swagger(load(SPEC)).validate(result, "CostDetailsOperationResults") == []
    assert result["manifest"]["requestContext"] == {"requestScope": scope, "requestBody": body}
    assert result["manifest"]["dataFormat"] == "Csv" and result["manifest"]["compressData"] is False
    assert result["validTill"].endswith("Z") and len(result["validTill"].split(".")[1]) == 8
    rows = download(http, result["manifest"])
    expected = truth(emulator, fx["mca_billing_account_id"], start=start.isoformat(), end=end.isoformat(),
                     metric="AmortizedCost")
    assert total(rows) == Decimal(expected["total"]) and {r["billingCurrency"] for r in rows} == {"EUR"}


def test_subscription_and_profile_scopes(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    start, end, _ = previous_month(emulator)
    body = {"timePeriod": {"start": start.isoformat(), "end": end.isoformat()}}
    owner = emulator.user_token(fx["owner_upn"], fx["owner_password"])
    sub = fx["owned_subscription_id"]
    done = poll(http, owner, generate(http, emulator, owner, f"subscriptions/{sub}", body).headers["location"])
    rows = download(http, done.json()["manifest"])
    assert rows and {r["SubscriptionId"] for r in rows} == {sub}
    expected = truth(emulator, fx["ea_enrollment_number"], start=start.isoformat(), end=end.isoformat(), subscription=sub)
    assert total(rows) == Decimal(expected["total"])
    mca = emulator.control.get("/costs/accounts").json()["value"]
    account = next(a for a in mca if a["agreement"] == "MCA")
    token = _mca_token(emulator)
    profile_scope = f"providers/Microsoft.Billing/billingAccounts/{account['id']}/billingProfiles/{account['billing_profile_id']}"
    done = poll(http, token, generate(http, emulator, token, profile_scope, body).headers["location"])
    assert done.json()["status"] == "Completed"
    if account["invoices"]:
        period, invoice = next(iter(account["invoices"].items()))
        done = poll(http, token, generate(http, emulator, token, profile_scope, {"invoiceId": invoice}).headers["location"])
        rows = download(http, done.json()["manifest"])
        assert {r["invoiceId"] for r in rows} == {invoice}
        assert total(rows) == Decimal(truth(emulator, account["id"], period=period)["total"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"metric": "ActualCost", "billingPeriod": "202401", "timePeriod": {"start": "2024-01-01", "end": "2024-01-05"}},
         "Invalid request payload: can only have either timePeriod or invoiceId or billingPeriod."),
        ({"timePeriod": {"start": "{prev}", "end": "{next}"}}, "The maximum allowed date range is 1 months."),
        ({"timePeriod": {"start": "{future}", "end": "{future}"}}, "Start date can't be in the future."),
        ({"timePeriod": {"start": "2019-01-01", "end": "2019-01-05"}}, "Start date must be after "),
        ({"metric": "Usage"}, "Invalid Request Payload. The metric 'Usage' is not supported"),
        ({"invoiceId": "G123"}, "Invalid Request Payload. invoiceId can only be used by Microsoft Customer Agreement"),
        ({"foo": 1}, "Invalid Request Payload."),
    ],
)
def test_validation_errors(emulator: RunningEmulator, http: httpx.Client, body: dict, message: str) -> None:  # type: ignore[type-arg]
    now = emulator_now(emulator).date()
    start, _, _ = previous_month(emulator)
    text = json.dumps(body).replace("{prev}", start.isoformat()).replace(
        "{next}", (start + timedelta(days=40)).isoformat()).replace("{future}", (now + timedelta(days=3)).isoformat())
    token = emulator.token("arm", client_id=emulator.fixtures["customer_sp_client_id"],
                           client_secret=emulator.fixtures["customer_sp_secret"])
    response = generate(http, emulator, token, _ea_scope(emulator.fixtures), json.loads(text))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BadRequest"
    assert response.json()["error"]["message"].startswith(message)


def test_scope_and_rbac_errors(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    plain = emulator.user_token(fx["plain_user_upn"], fx["plain_user_password"])
    denied = generate(http, emulator, plain, _ea_scope(fx), {})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "AuthorizationFailed"
    assert "Microsoft.CostManagement/generateCostDetailsReport/action" in denied.json()["error"]["message"]
    # the customer SP holds EnrollmentReader on the EA account only, not on the MCA account
    sp = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    mca = generate(http, emulator, sp, f"providers/Microsoft.Billing/billingAccounts/{fx['mca_billing_account_id']}", {})
    assert mca.status_code == 403
    missing = generate(http, emulator, sp, "providers/Microsoft.Billing/billingAccounts/1234", {})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "BillingAccountNotFound"
    assert generate(http, emulator, sp, "subscriptions/00000000-0000-4000-8000-000000000000", {}).status_code == 404
    rg = generate(http, emulator, plain, fx["plain_user_resource_group_id"].lstrip("/"), {})
    assert rg.status_code == 404
    old = generate(http, emulator, sp, _ea_scope(fx), {}, api_version="2019-01-01")
    assert old.status_code == 400 and old.json()["error"]["code"] == "NoRegisteredProviderFound"
    with pytest.raises(HttpResponseError) as err:
        track(ea_client(emulator)).generate_cost_details_report.begin_create_operation(
            f"providers/Microsoft.Billing/billingAccounts/{fx['mca_billing_account_id']}",
            GenerateCostDetailsReportRequestDefinition(metric="ActualCost")).result()
    assert err.value.status_code == 403


def test_sas_expiry_and_tampering(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    _, _, period = previous_month(emulator)
    sp = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    done = poll(http, sp, generate(http, emulator, sp, _ea_scope(fx), {"billingPeriod": period}).headers["location"])
    link = done.json()["manifest"]["blobs"][0]["blobLink"]
    head = http.get(link, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and len(head.content) == 100
    for bad in (link.replace("sig=", "sig=x"), link.split("&sig=")[0], link.replace("sp=r", "sp=rw")):
        response = http.get(bad)
        assert response.status_code == 403 and response.headers["x-ms-error-code"] == "AuthenticationFailed"
        assert "<Code>AuthenticationFailed</Code>" in response.text
    emulator.control.post("/clock/advance", json={"hours": 2})
    expired = http.get(link)
    assert expired.status_code == 403 and "Signed expiry time" in expired.text


def test_delay_polling_and_throttling(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    emulator.control.post("/costs/config", json={"report_delay_seconds": 600, "retry_after_seconds": 60,
                                                 "scope_calls_per_minute": 3})
    sp = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    first = generate(http, emulator, sp, _ea_scope(fx), {})
    assert first.status_code == 202 and first.headers["retry-after"] == "60"
    assert first.headers["x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests"] == "2"
    pending = http.get(first.headers["location"], headers={"Authorization": f"Bearer {sp}"})
    assert pending.status_code == 202 and pending.headers["location"]
    for _ in range(2):
        assert generate(http, emulator, sp, _ea_scope(fx), {}).status_code == 202
    throttled = generate(http, emulator, sp, _ea_scope(fx), {})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.headers["x-ms-ratelimit-microsoft.costmanagement-entity-retry-after"] == throttled.headers["retry-after"]
    emulator.control.post("/clock/advance", json={"minutes": 11})
    assert poll(http, sp, first.headers["location"]).status_code == 200
    assert generate(http, emulator, sp, _ea_scope(fx), {}).status_code == 202


def test_new_billing_account_has_no_data(fresh_emulator: RunningEmulator) -> None:
    emu = fresh_emulator
    fx = emu.fixtures
    emu.control.post("/costs/config", json={"retry_after_seconds": 0})
    account = fx["mca_billing_account_id"]
    emu.control.post(f"/costs/accounts/{account}", json={"created": "now"})
    token = _mca_token(emu)
    with emu.client() as http:
        done = poll(http, token, generate(http, emu, token, f"providers/Microsoft.Billing/billingAccounts/{account}", {}).headers["location"])
        body = done.json()
        assert done.status_code == 200 and body["status"] == "NoDataFound"
        assert body["manifest"]["blobCount"] == 0 and body["manifest"]["blobs"] == []
        emu.control.post("/clock/advance", json={"hours": 25})
        token = _mca_token(emu)
        done = poll(http, token, generate(http, emu, token, f"providers/Microsoft.Billing/billingAccounts/{account}", {}).headers["location"])
        assert done.json()["status"] == "Completed"
