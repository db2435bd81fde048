"""One truth per charge in the store: overlapping sources (a billing account and its
subscriptions, two paths to one enrollment, a user's file for an account imported by
API, partly overlapping scopes) are counted once, whatever the import order; every read
(totals, tag pre-aggregates, untagged, export) agrees, and `sources()` / `periods()` say
which source counts and which were skipped."""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from skytally.costs import CostQuery, CostStore
from skytally.costs.samples import SampleTotals

BA = "11111111-2222-3333-4444-555555555555:66666666-7777-8888-9999-000000000000_2019-05-31"


def _split(path: Path, keep: Callable[[str], bool], dest: Path) -> tuple[Path, Decimal, int]:
    """The rows of `path` whose subscription passes `keep` (header kept), their cost and count."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    sub = next(i for i, h in enumerate(header) if h.lower() == "subscriptionid")
    cost = next(i for i, h in enumerate(header) if h.lower() == "costinbillingcurrency")
    out = [r for r in rows[1:] if keep(r[sub])]
    with open(dest, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(out)
    return dest, sum((Decimal(r[cost] or 0) for r in out), Decimal(0)), len(out)


def _subs(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.DictReader(f)
        col = next(c for c in (r.fieldnames or []) if c.lower() == "subscriptionid")
        return sorted({row[col] for row in r if row[col]})


def _total(store: CostStore, scope: list[str]) -> Decimal:
    return store.query(CostQuery(billing_accounts=scope)).total["BilledCost"]


@pytest.fixture
def mca(sample: Callable[..., SampleTotals]) -> SampleTotals:
    return sample(layout="mca", rows=600, billing_account_id=BA, currency="EUR", subscriptions=3,
                  periods=("2024-03",), seed=3)


@pytest.mark.parametrize("billing_account_first", [True, False])
def test_billing_account_and_its_subscriptions_count_once(store: CostStore, mca: SampleTotals, tmp_path: Path,
                                                          billing_account_first: bool) -> None:
    subs = _subs(mca.path)
    assert len(subs) == 3
    per_sub = [_split(mca.path, lambda s, x=x: s == x, tmp_path / f"sub-{i}.csv") for i, x in enumerate(subs)]

    def import_ba() -> None:
        store.import_files([mca.path], source_kind="mca_billing_account", source_name="Fabrikam MCA")

    def import_subs() -> None:
        for (path, _, _), sub in zip(per_sub, subs, strict=True):
            store.import_files([path], billing_account_id=sub, source_kind="subscription", source_name=sub)

    for step in ((import_ba, import_subs) if billing_account_first else (import_subs, import_ba)):
        step()
    scope = [BA, *subs]
    assert _total(store, scope) == mca.cost  # not twice
    assert _total(store, subs) == mca.cost  # a workspace seeing only the subscriptions: once too
    # every read path agrees
    by_tag = store.query(CostQuery(billing_accounts=scope, group_by=["tag:env"]))
    assert by_tag.total["BilledCost"] == mca.cost
    by_sub = store.query(CostQuery(billing_accounts=scope, group_by=["SubAccountId"]))
    assert len(by_sub.rows) == 3
    [untagged] = store.untagged(CostQuery(billing_accounts=scope), "env")
    assert untagged.total["BilledCost"] == mca.cost
    out = store.export(tmp_path / "x.parquet", billing_accounts=scope)
    assert out["rows"] == mca.rows and out["by_currency"]["EUR"]["BilledCost"] == mca.cost
    # what counts, and what was skipped
    periods = {p["billing_account"]: p for p in store.periods(scope)}
    assert periods[BA]["used"] == "all" and periods[BA]["source"]["kind"] == "mca_billing_account"
    assert {periods[s]["used"] for s in subs} == {"none"}
    sources = [c for c in store.sources(scope) if c["subscription"]]
    assert sorted(c["subscription"] for c in sources) == sorted(s.lower() for s in subs)
    for c in sources:
        assert c["used"]["billing_account"] == BA and c["used"]["kind_label"] == "MCA billing account"
        [skip] = c["skipped"]
        assert skip["kind"] == "subscription" and skip["reason"] == "covered by MCA billing account Fabrikam MCA"
        assert skip["totals"] == c["used"]["totals"]


def test_partly_overlapping_scopes_take_each_subscription_once(store: CostStore, mca: SampleTotals,
                                                               tmp_path: Path) -> None:
    """A billing profile's file holds subscriptions A and B, an invoice section's B and C:
    B comes from the (wider) billing profile, C from the section, whose B rows are skipped."""
    a, b, c = _subs(mca.path)
    prof, _, _ = _split(mca.path, lambda s: s in (a, b), tmp_path / "profile.csv")
    sect, _, _ = _split(mca.path, lambda s: s in (b, c), tmp_path / "section.csv")
    store.import_files([sect], billing_account_id="section", source_kind="invoice_section")
    store.import_files([prof], billing_account_id="profile", source_kind="billing_profile")
    scope = ["profile", "section"]
    assert _total(store, scope) == mca.cost
    # the tag pre-aggregates cannot drop a subscription's rows: the rows are read instead
    assert store.query(CostQuery(billing_accounts=scope, group_by=["tag:env"])).total["BilledCost"] == mca.cost
    assert store.export(tmp_path / "x.csv", billing_accounts=scope, format="csv")["rows"] == mca.rows
    used = {p["billing_account"]: p["used"] for p in store.periods(scope)}
    assert used == {"profile": "all", "section": "part"}
    chosen = {x["subscription"]: x["used"]["billing_account"] for x in store.sources(scope) if x["subscription"]}
    assert chosen == {a.lower(): "profile", b.lower(): "profile", c.lower(): "section"}


@pytest.mark.parametrize("order", ["sp_then_key", "key_then_sp"])
def test_one_enrollment_by_api_key_and_service_principal(store: CostStore, sample: Callable[..., SampleTotals],
                                                         tmp_path: Path, order: str) -> None:
    """Both paths store under the enrollment number: the service principal's (complete)
    data is kept whatever the order; the other import is noted as superseded."""
    ea = sample(layout="ea_exports", rows=400, billing_account_id="7654321", periods=("2024-03",), seed=5)
    usage_only, _, _ = _split(ea.path, lambda s: s.endswith(("0", "2", "4", "6", "8", "a", "c", "e")),
                                       tmp_path / "usage.csv")
    sp = lambda: store.import_files([ea.path], source_kind="ea_enrollment_sp", source_name="EA by SP")  # noqa: E731
    key = lambda: store.import_files([usage_only], source_kind="ea_enrollment_key")  # noqa: E731
    first, second = (sp, key) if order == "sp_then_key" else (key, sp)
    first()
    res = second()
    assert _total(store, ["7654321"]) == ea.cost
    [period] = store.periods(["7654321"])
    assert period["source"]["kind"] == "ea_enrollment_sp"
    assert [s["kind"] for s in period["superseded"]] == ["ea_enrollment_key"]
    if order == "sp_then_key":
        assert res.skipped and res.skipped[0]["covered_by"]["kind"] == "ea_enrollment_sp"
        assert any("not stored" in w for w in res.warnings)
        # the same kind again replaces (a re-import), and keeps the note
        sp()
        [period] = store.periods(["7654321"])
        assert [s["kind"] for s in period["superseded"]] == ["ea_enrollment_key"]
    else:
        assert not res.skipped


@pytest.mark.parametrize("file_first", [True, False])
def test_user_file_for_an_account_imported_by_api(store: CostStore, mca: SampleTotals, tmp_path: Path,
                                                  file_first: bool) -> None:
    part, _, _ = _split(mca.path, lambda s: s == _subs(mca.path)[0], tmp_path / "mine.csv")
    api = lambda: store.import_files([mca.path], source_kind="mca_billing_account")  # noqa: E731
    mine = lambda: store.import_files([part])  # noqa: E731  (a user's file: kind "file")
    for step in ((mine, api) if file_first else (api, mine)):
        step()
    assert _total(store, [BA]) == mca.cost
    [period] = store.periods([BA])
    assert period["source"]["kind"] == "mca_billing_account"
    assert [s["kind"] for s in period["superseded"]] == ["file"]


def test_partitions_imported_before_coverage_was_recorded(store: CostStore, mca: SampleTotals) -> None:
    """A store written by an older version (no source, no coverage in the manifests):
    coverage is read from the rows, and overlaps still count once."""
    import json

    subs = _subs(mca.path)
    store.import_files([mca.path])
    for key in store.layout.periods():
        m = store.layout.manifest(key) or {}
        m.pop("coverage", None)
        m.pop("source", None)
        (store.layout.data / key.relpath / "_import.json").write_text(json.dumps(m))
    store.import_files([mca.path], billing_account_id=subs[0], source_kind="subscription")
    assert _total(store, [BA, subs[0]]) == mca.cost
    assert {p["billing_account"]: p["used"] for p in store.periods()} == {BA: "all", subs[0]: "none"}


def test_no_subscription_rows_are_keyed_by_billing_scope(store: CostStore, tmp_path: Path) -> None:
    con = duckdb.connect()
    try:
        from skytally.costs.coverage import KEY_SQL

        got = con.execute(f"SELECT {KEY_SQL} FROM (VALUES ('/subscriptions/ABC', NULL, NULL, 'ba', 'bp'), "
                          "(NULL, 'sec', 'prof', 'ba', 'bp'), ('', NULL, 'prof', 'ba', 'bp')) "
                          "t(SubAccountId, x_InvoiceSectionId, x_BillingProfileId, x_BillingAccountId, "
                          "BillingAccountId)").fetchall()
    finally:
        con.close()
    assert [g[0] for g in got] == ["abc", "billing:sec", "billing:prof"]
