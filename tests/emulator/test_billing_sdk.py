"""Microsoft.Billing through the official SDK (azure-mgmt-billing, unchanged): accounts,
MCA billing profiles and invoice sections, EA departments and enrollment accounts, billing
RBAC, and the account shape of an older api-version."""

from __future__ import annotations

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.billing import BillingManagementClient

from azure_emulator.services.billing import responses as R
from azure_emulator.testing import RunningEmulator

from ._arm_clients import (  # noqa: F401
    StaticTokenCredential,
    _close_sdk_clients,
    arm_kwargs,
    customer_credential,
    track,
)
from ._costs import minted_user_token
from ._swagger import Swagger, load, requires_reference


def _client(emu: RunningEmulator, credential: object) -> BillingManagementClient:
    kwargs = arm_kwargs(emu)
    kwargs.pop("polling_interval")
    return track(BillingManagementClient(credential, emu.fixtures["owned_subscription_id"], **kwargs))  # type: ignore[arg-type]


def test_ea_enrollment_departments_and_enrollment_accounts(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    client = _client(emulator, customer_credential(emulator))
    enrollment = fx["ea_enrollment_number"]
    accounts = list(client.billing_accounts.list())
    assert [a.name for a in accounts] == [enrollment]  # EnrollmentReader on the EA only
    assert accounts[0].properties.agreement_type == "EnterpriseAgreement"
    accounts_ = list(client.enrollment_accounts.list_by_billing_account(enrollment))
    assert len(accounts_) == 1 and accounts_[0].properties.account_owner.startswith("cloudteam@")
    assert client.enrollment_accounts.get(enrollment, accounts_[0].name).properties.display_name == accounts_[0].properties.display_name
    departments = list(client.departments.list_by_billing_account(enrollment))
    assert sorted(d.properties.display_name for d in departments) == ["Finance", "IT"]
    with pytest.raises(HttpResponseError) as err:
        list(client.billing_profiles.list_by_billing_account(enrollment))
    assert err.value.status_code == 400


def test_mca_profiles_and_invoice_sections(emulator: RunningEmulator) -> None:
    fx = emulator.fixtures
    client = _client(emulator, StaticTokenCredential(minted_user_token(emulator, fx["second_owner_upn"])))
    account = fx["mca_billing_account_id"]
    profiles = list(client.billing_profiles.list_by_billing_account(account))
    assert [p.name for p in profiles] == [fx["mca_billing_profile_id"]]
    profile = client.billing_profiles.get(account, fx["mca_billing_profile_id"])
    assert profile.properties.currency == "EUR" and profile.properties.status == "Active"
    sections = list(client.invoice_sections.list_by_billing_profile(account, profile.name))
    assert sorted(s.properties.display_name for s in sections) == ["Engineering", "Marketing"]
    assert fx["mca_invoice_section_id"] in {s.name for s in sections}
    with pytest.raises(ResourceNotFoundError):
        client.billing_profiles.get(account, "AAAA-BBBB-CCC-DDD")
    # the EA's reader holds no role on the MCA account
    with pytest.raises(HttpResponseError) as err:
        list(_client(emulator, customer_credential(emulator)).billing_profiles.list_by_billing_account(account))
    assert err.value.status_code == 403


def test_account_shape_follows_api_version(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    sp = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    url = f"{emulator.arm_url}/providers/Microsoft.Billing/billingAccounts/{fx['ea_enrollment_number']}"
    old = http.get(url, params={"api-version": "2019-10-01-preview"}, headers={"Authorization": f"Bearer {sp}"}).json()
    new = http.get(url, params={"api-version": "2024-04-01"}, headers={"Authorization": f"Bearer {sp}"}).json()
    assert old["properties"]["organizationId"] == fx["ea_billing_tenant_id"] and "hasReadAccess" not in old["properties"]
    assert new["properties"]["hasReadAccess"] is True and "organizationId" not in new["properties"]
    legacy = http.get(f"{emulator.arm_url}/providers/Microsoft.Billing/enrollmentAccounts",
                      params={"api-version": "2018-03-01-preview"}, headers={"Authorization": f"Bearer {sp}"}).json()
    assert legacy["value"][0]["type"] == "Microsoft.Billing/enrollmentAccounts"


# What Microsoft's own examples show that their swagger does not define, or that the world
# does not hold: 2019-10-01-preview's example has accountType (its swagger: customerType);
# the 2018 and 2019 examples carry an address / soldTo the emulator's accounts have none of.
_EXAMPLE_ONLY = {"2019-10-01-preview": {"accountType", "address"}, "2018-11-01-preview": {"address"},
                 "2020-05-01": {"soldTo"}}


@requires_reference
@pytest.mark.parametrize("shape", R.ACCOUNT_SHAPES[1:], ids=lambda s: s.since)
def test_account_shape_table_conforms_to_each_versions_swagger(
        emulator: RunningEmulator, http: httpx.Client, shape: R.AccountShape) -> None:
    """Every api-version family answers exactly its swagger's BillingAccountProperties (no
    property of another version), for an EA and an MCA account, expanded and not."""
    fx = emulator.fixtures
    swagger = Swagger(load(f"Microsoft.Billing/{shape.spec}"))
    declared = set(swagger.doc["definitions"]["BillingAccountProperties"]["properties"])
    assert shape.fields <= declared, shape.fields - declared
    example = load(f"Microsoft.Billing/{shape.spec.rsplit('/', 1)[0]}/examples/BillingAccountsList.json")
    for item in example["responses"]["200"]["body"]["value"]:
        shown = {k for k, v in item["properties"].items() if v is not None}
        assert shown - _EXAMPLE_ONLY.get(shape.since, set()) <= shape.fields, shown - shape.fields
    ea = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    mca = minted_user_token(emulator, fx["second_owner_upn"])
    for name, token, expand in ((fx["ea_enrollment_number"], ea, "enrollmentDetails,departments,enrollmentAccounts"),
                                (fx["mca_billing_account_id"], mca, "billingProfiles")):
        url = f"{emulator.arm_url}/providers/Microsoft.Billing/billingAccounts/{name}"
        headers = {"Authorization": f"Bearer {token}"}
        plain = http.get(url, params={"api-version": shape.since}, headers=headers)
        assert plain.status_code == 200, plain.text
        assert set(plain.json()["properties"]) == shape.fields
        expanded = http.get(url, params={"api-version": shape.since, "$expand": expand}, headers=headers).json()
        assert swagger.validate(expanded, "BillingAccount") == []
        listed = http.get(f"{emulator.arm_url}/providers/Microsoft.Billing/billingAccounts",
                          params={"api-version": shape.since}, headers=headers).json()["value"]
        assert all(swagger.validate(a, "BillingAccount") == [] for a in listed)


def test_newest_account_shape_matches_microsofts_2024_example(emulator: RunningEmulator, http: httpx.Client) -> None:
    fx = emulator.fixtures
    sp = emulator.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
    got = http.get(f"{emulator.arm_url}/providers/Microsoft.Billing/billingAccounts",
                   params={"api-version": "2024-04-01"}, headers={"Authorization": f"Bearer {sp}"}).json()
    assert set(got["value"][0]["properties"]) == R.ACCOUNT_SHAPES[0].fields - {"primaryBillingTenantId"}
    assert R.account_shape("2025-01-01") is R.ACCOUNT_SHAPES[0]
    assert R.account_shape("2017-02-27-preview").since == "2018-11-01-preview"
