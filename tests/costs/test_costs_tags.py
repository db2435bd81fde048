"""Tags are parsed into a MAP whatever the source's quirks, and their lower-cased keys
are stored (x_TagKeys) so group-by-tag never parses JSON at query time."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from skytally.costs import CostQuery, CostStore
from skytally.costs.store.udf import parse_tags

from .conftest import write

EA_HEADER = "BillingAccountId,BillingAccountName,BillingPeriodStartDate,BillingPeriodEndDate,BillingProfileId,BillingProfileName,AccountOwnerId,AccountName,SubscriptionId,SubscriptionName,Date,Product,PartNumber,MeterId,ServiceFamily,MeterCategory,MeterSubCategory,MeterRegion,MeterName,Quantity,EffectivePrice,Cost,UnitPrice,BillingCurrency,ResourceLocation,AvailabilityZone,ConsumedService,ResourceId,ResourceName,ServiceInfo1,ServiceInfo2,AdditionalInfo,Tags,InvoiceSectionId,InvoiceSection,CostCenter,UnitOfMeasure,ResourceGroup,ReservationId,ReservationName,ProductOrderId,ProductOrderName,OfferId,IsAzureCreditEligible,Term,PublisherName,PlanName,ChargeType,Frequency,PublisherType,PayGPrice,PricingModel,CostAllocationRuleName,benefitId,benefitName"


def ea_row(tags_cell: str, cost: str, rid: str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1") -> str:
    cols = EA_HEADER.split(",")
    v = dict.fromkeys(cols, "")
    v.update({"BillingAccountId": "8608480", "BillingPeriodStartDate": "01/01/2024",
              "BillingPeriodEndDate": "01/31/2024", "SubscriptionId": "s1", "Date": "01/05/2024",
              "Quantity": "1", "Cost": cost, "BillingCurrency": "USD", "ResourceId": rid,
              "ChargeType": "Usage", "PricingModel": "OnDemand", "MeterCategory": "Virtual Machines",
              "UnitOfMeasure": "1 Hour", "Frequency": "UsageBased", "AccountOwnerId": "o@x"})
    return ",".join(tags_cell if c == "Tags" else v[c] for c in cols)


CELLS = [
    ('"""env"": ""prod"",""CostCenter"": ""1234"""', {"env": "prod", "CostCenter": "1234"}),  # EA, no braces
    ('"{""env"":""dev"",""app"":""web""}"', {"env": "dev", "app": "web"}),  # MCA JSON
    ("", None),  # empty
    ('"{}"', None),
    ('"""Env"": ""Prod"",""env"": ""prod"""', {"Env": "Prod", "env": "prod"}),  # case duplicates
    ('"""env"": ""a"",""env"": ""b"""', {"env": "a"}),  # exact duplicate: first wins
    ('"""aks-managed-createOperationID"": """",""k.with.dots"": ""Zürich"""', {"aks-managed-createOperationID": "", "k.with.dots": "Zürich"}),
    ('"{""n"": 5, ""b"": true, ""o"": {""x"": 1}, ""z"": null}"', {"n": "5", "b": "true", "o": '{"x":1}', "z": None}),
    ('"not json at all"', "invalid"),
]


def test_parse_tags_quirks() -> None:
    assert parse_tags('"k": "v","K2": "v2"') == {
        "tags": [("k", "v"), ("K2", "v2")], "keys": ["k", "k2"], "values": ["v", "v2"], "invalid": None}
    assert parse_tags("  ") is None
    assert parse_tags("{bad")["invalid"] == "{bad"  # type: ignore[index]


def test_tag_quirks_end_to_end(store: CostStore, tmp_path: Path) -> None:
    lines = [EA_HEADER] + [ea_row(cell, f"{i + 1}.25") for i, (cell, _) in enumerate(CELLS)]
    f = write(tmp_path / "ea_tags.csv", "\n".join(lines) + "\n", bom=True)
    res = store.import_files([f])
    assert res.rows == len(CELLS) and res.rejected_rows == 0
    assert res.BilledCost == sum(Decimal(f"{i + 1}.25") for i in range(len(CELLS)))  # money kept even for bad tags
    files = store.layout.files(store.layout.periods())
    rows = duckdb.execute(
        "SELECT BilledCost, Tags, x_TagKeys, x_TagsInvalid FROM read_parquet($f) ORDER BY BilledCost",
        {"f": files}).fetchall()
    for (_, tags, keys, invalid), (_, expected) in zip(rows, CELLS, strict=True):
        if expected is None:
            assert tags is None and keys is None and invalid is None
        elif expected == "invalid":
            assert tags is None and invalid == "not json at all"
        else:
            assert tags == expected
            assert keys == [k.lower() for k in expected]


def test_group_by_tag_is_case_insensitive(store: CostStore, tmp_path: Path) -> None:
    rows = [ea_row('"""CostCenter"": ""A"""', "10"), ea_row('"""costcenter"": ""A"""', "5"),
            ea_row('"""COSTCENTER"": ""B"""', "1"), ea_row("", "100")]
    f = write(tmp_path / "cc.csv", "\n".join([EA_HEADER, *rows]) + "\n")
    store.import_files([f])
    for spelling in ("tag:CostCenter", "tag:costcenter", "TAG:COSTCENTER"):
        res = store.query(CostQuery(billing_accounts=["8608480"], group_by=[spelling]))
        got = {r["tag:costcenter"]: r["BilledCost"] for r in res.rows}
        assert got == {"A": Decimal(15), "B": Decimal(1), None: Decimal(100)}
    res = store.query(CostQuery(billing_accounts=["8608480"], filters={"tag:CostCenter": ["A"]}))
    assert res.total["BilledCost"] == Decimal(15)


@pytest.mark.parametrize("dim", ["tag:", "tag:  "])
def test_empty_tag_key_refused(store: CostStore, dim: str) -> None:
    from skytally.errors import InvalidInput
    with pytest.raises(InvalidInput):
        store.query(CostQuery(billing_accounts=["x"], group_by=[dim]))
