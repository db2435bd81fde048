"""Helpers for the cost tests: periods relative to the emulator clock, CSV sums, SDK clients."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from azure.mgmt.costmanagement import CostManagementClient

from azure_emulator.testing import RunningEmulator

from ._arm_clients import arm_kwargs, customer_credential

REFERENCE_CM = "Microsoft.CostManagement/stable"


def emulator_now(emu: RunningEmulator) -> datetime:
    return datetime.fromisoformat(emu.control.get("/clock").json()["now"])


def previous_month(emu: RunningEmulator) -> tuple[date, date, str]:
    first = emulator_now(emu).date().replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    return start, first - timedelta(days=1), start.strftime("%Y%m")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def cost_column(rows: list[dict[str, str]]) -> str:
    return "Cost" if rows and "Cost" in rows[0] else "costInBillingCurrency"


def download(http: httpx.Client, manifest: Any) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for blob in manifest["blobs"]:
        response = http.get(blob["blobLink"])
        assert response.status_code == 200, response.text[:300]
        out += rows_of(response.content.decode("utf-8"))
    return out


def total(rows: list[dict[str, str]]) -> Decimal:
    col = cost_column(rows)
    return sum((Decimal(r[col]) for r in rows), Decimal(0))


def truth(emu: RunningEmulator, account: str, **params: str) -> dict[str, Any]:
    response = emu.control.get("/costs/totals", params={"billing_account": account, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def ea_client(emu: RunningEmulator) -> CostManagementClient:
    return CostManagementClient(customer_credential(emu), **arm_kwargs(emu))


@pytest.fixture
def fast_reports(emulator: RunningEmulator) -> Iterator[None]:
    """Reports ready at once, Retry-After 0; settings restored afterwards."""
    before = emulator.control.get("/costs/config").json()
    emulator.control.post("/costs/config", json={"retry_after_seconds": 0, "report_delay_seconds": 0})
    yield
    before.pop("accounts", None)
    emulator.control.post("/costs/config", json=before)


def generate(http: httpx.Client, emu: RunningEmulator, token: str, scope: str, body: dict[str, Any],
             api_version: str = "2024-08-01") -> httpx.Response:
    return http.post(f"{emu.arm_url}/{scope}/providers/Microsoft.CostManagement/generateCostDetailsReport",
                     params={"api-version": api_version}, json=body, headers={"Authorization": f"Bearer {token}"})


def poll(http: httpx.Client, token: str, location: str, attempts: int = 200) -> httpx.Response:
    for _ in range(attempts):
        response = http.get(location, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 202:
            return response
        import time

        time.sleep(0.02)
    raise AssertionError("report never completed")


def minted_user_token(emu: RunningEmulator, upn: str) -> str:
    """An ARM token for a user of a tenant where skytally's app has no service principal (the
    Fabrikam MCA owner): signed with the emulator's key, as Entra ID would issue it after consent."""
    import uuid

    user = emu.app.state.world.user_by_upn(upn)
    assert user is not None
    now = int(emulator_now(emu).timestamp())
    claims = {"aud": emu.arm_url, "iss": f"{emu.base_url}/{user.tenant_id}/v2.0", "iat": now, "nbf": now,
              "exp": now + 3600, "tid": user.tenant_id, "oid": user.object_id, "sub": user.object_id,
              "idtyp": "user", "upn": upn, "scp": "user_impersonation", "appid": emu.fixtures["skytally_client_id"],
              "ver": "2.0", "uti": str(uuid.uuid4())}
    return str(emu.app.state.emulator.signer.sign(claims))
