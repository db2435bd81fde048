"""The licensing names table: the bundled partial copy and a full copy of Microsoft's CSV are
validated when loaded, name the known products and plans, and fall back to Graph's names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from skytally.licences import catalog

E3, O365_E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965", "6fd2c87f-b296-42f0-b197-1e91e994b900"
EXO2, FOUNDATION = "efb87545-963c-4e0d-99df-69c6916d9eb0", "113feb6c-3fe4-4440-bddc-54d774bf0318"
HEADER = "\ufeffProduct_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\n"
# Rows as Microsoft's CSV writes them (one per product and plan); ids from the bundled copy.
ROWS = [f"Microsoft 365 E3,SPE_E3,{E3},EXCHANGE_S_ENTERPRISE,{EXO2},Exchange Online (Plan 2)",
        f"Microsoft 365 E3,SPE_E3,{E3},EXCHANGE_S_FOUNDATION,{FOUNDATION},Exchange Foundation",
        f"Office 365 E3,ENTERPRISEPACK,{O365_E3},EXCHANGE_S_ENTERPRISE,{EXO2},Exchange Online (Plan 2)",
        "Contoso Add-on,CONTOSO_ADDON,11111111-2222-3333-4444-555555555555,CONTOSO_PLAN,"
        "66666666-7777-8888-9999-000000000000,Contoso Plan"]


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    catalog.use_full_copy(None)


def _write(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "Product names and service plan identifiers for licensing.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_bundled_copy_is_valid_and_names_the_known_products() -> None:
    cat = catalog.load_bundled()
    assert cat.products[E3] == ("SPE_E3", "Microsoft 365 E3")
    assert cat.products[O365_E3] == ("ENTERPRISEPACK", "Office 365 E3")
    assert cat.plans[EXO2] == ("EXCHANGE_S_ENTERPRISE", "Exchange Online (Plan 2)")
    assert catalog.product_name(E3.upper(), "SPE_E3") == "Microsoft 365 E3"
    assert catalog.product_name("00000000-0000-0000-0000-000000000001", "MYSTERY_SKU") == "MYSTERY_SKU"  # Graph's name
    assert catalog.plan_name("00000000-0000-0000-0000-000000000002", "MYSTERY_PLAN") == "MYSTERY_PLAN"
    assert "partial copy" in catalog.source() and "CC BY 4.0" in catalog.source()


def test_a_full_copy_in_microsofts_format_names_products_plans_and_their_plans(tmp_path: Path, restore: None) -> None:
    path = _write(tmp_path, ROWS)
    cat = catalog.load_microsoft_csv(path)
    assert cat.product_plans[E3] == [EXO2, FOUNDATION] and cat.product_plans[O365_E3] == [EXO2]
    catalog.use_full_copy(path)
    assert catalog.product_name("11111111-2222-3333-4444-555555555555", "X") == "Contoso Add-on"
    assert catalog.product_name(E3, "SPE_E3") == "Microsoft 365 E3"
    assert catalog.is_named("6fd2c87f-b296-42f0-b197-1e91e994b900")
    # what the full copy lacks, the bundled copy still names
    assert catalog.product_name("06ebc4ee-1bb5-47dd-8120-11324bc54e06", "SPE_E5") == "Microsoft 365 E5"
    assert "CSV" in catalog.source()
    # older downloads wrote "String_ Id"
    old = _write(tmp_path, ROWS[:1], HEADER.replace("String_Id", "String_ Id"))
    assert catalog.load_microsoft_csv(old).products[E3][0] == "SPE_E3"


@pytest.mark.parametrize(("rows", "header", "message"), [
    (ROWS, "Product,Id,GUID\n", "columns"),
    ([ROWS[0].replace(E3, "not-a-guid")], HEADER, "line 2: GUID 'not-a-guid' is not a GUID"),
    ([ROWS[0], ROWS[1].replace("SPE_E3", "SPE_E5")], HEADER, "line 3: product"),
    ([ROWS[0] + ",extra"], HEADER, "line 2: 7 fields"),
    ([ROWS[0].replace("Microsoft 365 E3", "")], HEADER, "empty Product_Display_Name"),
    ([], HEADER, "no products"),
])
def test_a_malformed_copy_is_refused_with_the_line_at_fault(tmp_path: Path, restore: None, rows: list[str],
                                                            header: str, message: str) -> None:
    path = _write(tmp_path, rows, header)
    with pytest.raises(catalog.CatalogueError, match=message):
        catalog.use_full_copy(path)
    assert catalog.product_name(E3, "SPE_E3") == "Microsoft 365 E3"  # the bundled copy still serves


SHARED = Path(__file__).resolve().parents[3] / "shared" / "licensing" / "Product names and service plan identifiers for licensing.csv"


@pytest.mark.skipif(not SHARED.exists(), reason="no full copy of Microsoft's CSV in ../shared/licensing/")
def test_microsofts_full_csv_when_present() -> None:
    cat = catalog.load_microsoft_csv(SHARED)
    assert cat.products[E3] == ("SPE_E3", "Microsoft 365 E3") and EXO2 in cat.product_plans[E3]
    assert cat.products[O365_E3][0] == "ENTERPRISEPACK" and EXO2 in cat.product_plans[O365_E3]
    assert len(cat.products) > 500
