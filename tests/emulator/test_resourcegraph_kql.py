"""The KQL subset: tokenizer, parser and evaluation over plain rows (no server)."""

from __future__ import annotations

import pytest

from azure_emulator.services.resourcegraph import engine, kql

ROWS = [
    {"id": "/a", "name": "vm-web-01", "type": "microsoft.compute/virtualmachines", "location": "westeurope",
     "tags": {"env": "prod", "Owner": "ann@contoso.com"}, "properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}}},
    {"id": "/b", "name": "stweb", "type": "microsoft.storage/storageaccounts", "location": "eastus",
     "tags": {"Env": "Prod"}, "properties": {}},
    {"id": "/c", "name": "vm-db-01", "type": "microsoft.compute/virtualmachines", "location": "eastus",
     "tags": None, "properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}}},
]
COLS = ["id", "name", "type", "location", "tags", "properties"]


def run(query: str) -> list[dict]:
    result = engine.execute(kql.parse(query), ROWS, COLS)
    return result.materialize(result.rows)


def test_where_operators() -> None:
    assert [r["id"] for r in run("Resources | where type =~ 'Microsoft.Compute/virtualMachines'")] == ["/a", "/c"]
    assert [r["id"] for r in run("Resources | where tags.env == 'prod'")] == ["/a"]  # dynamic keys are case-sensitive
    assert [r["id"] for r in run("Resources | where tags['Env'] =~ 'prod' or tags.env =~ 'prod'")] == ["/a", "/b"]
    assert [r["id"] for r in run("Resources | where location in~ ('EASTUS') and name startswith 'vm'")] == ["/c"]
    assert [r["id"] for r in run("Resources | where name has 'web'")] == ["/a"]
    assert [r["id"] for r in run("Resources | where name contains 'WEB'")] == ["/a", "/b"]
    assert [r["id"] for r in run("Resources | where isempty(tags) | project id")] == ["/c"]
    assert [r["id"] for r in run("Resources | where name !in ('stweb') and isnotempty(tags)")] == ["/a"]


def test_project_extend_order_limit_summarize() -> None:
    rows = run("Resources | extend size = properties.hardwareProfile.vmSize | where isnotempty(size) "
               "| project n = name, size | order by n asc | take 1")
    assert rows == [{"n": "vm-db-01", "size": "Standard_D4s_v5"}]
    assert [r["name"] for r in run("Resources | order by name")] == ["vm-web-01", "vm-db-01", "stweb"]  # desc by default
    counts = run("Resources | summarize count() by location | order by location asc")
    assert counts == [{"location": "eastus", "count_": 2}, {"location": "westeurope", "count_": 1}]
    assert run("Resources | count") == [{"Count": 3}]
    assert run("Resources | summarize n = dcount(type)") == [{"n": 2}]


def test_query_without_a_table_reads_resources() -> None:
    query = kql.parse("project id, tags | limit 2")
    assert query.table == "Resources"
    assert run("project id, tags | limit 2") == [{"id": "/a", "tags": ROWS[0]["tags"]}, {"id": "/b", "tags": ROWS[1]["tags"]}]
    assert run("where location == 'eastus' | count") == [{"Count": 2}]
    assert kql.parse("ResourceContainers | limit 1").table == "ResourceContainers"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Resources | join (Resources) on id", "UnsupportedOperator"),
        ("Resources | where name ==", "ParserFailure"),
        ("Resources | where nope == 1", "FailedToResolveScalarExpression"),
        ("Resources | where foo(name)", "UnknownFunction"),
        ("Resources | project name | where id == '/a'", "FailedToResolveScalarExpression"),
    ],
)
def test_rejections(query: str, code: str) -> None:
    with pytest.raises(kql.KqlError) as err:
        run(query)
    assert err.value.code == code


def test_positions_are_reported() -> None:
    with pytest.raises(kql.KqlError) as err:
        kql.parse("Resources\n| where name == 'x' )")
    assert err.value.line == 2 and err.value.token == ")"
