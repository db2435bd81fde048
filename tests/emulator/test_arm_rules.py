"""Tag rules and the ARM $filter subset (pure functions)."""

from __future__ import annotations

import pytest

from azure_emulator.core.errors import ApiError
from azure_emulator.services.arm import tags
from azure_emulator.services.arm.filters import compile_filter
from azure_emulator.world.model import Resource


def _res(name: str, rtype: str, tag_map: dict[str, str] | None) -> Resource:
    return Resource(id=f"/subscriptions/s/resourceGroups/rg/providers/{rtype}/{name}", name=name, type=rtype,
                    location="eastus", resource_group="RG-One", subscription_id="s", tags=tag_map)


def test_merge_is_case_insensitive_on_names_and_delete_honours_values() -> None:
    assert tags.merge({"Env": "prod", "a": "1"}, {"env": "test"}) == {"Env": "test", "a": "1"}
    assert tags.delete({"Env": "prod", "a": "1"}, {"env": "dev"}) == {"Env": "prod", "a": "1"}
    assert tags.delete({"Env": "prod", "a": "1"}, {"env": ""}) == {"a": "1"}



def test_a_provider_that_lower_cases_tag_names() -> None:
    got = tags.apply({"team": "a"}, "Merge", {"CostCenter": "CC-1"}, "Microsoft.NotificationHubs/namespaces")
    assert got == {"team": "a", "costcenter": "CC-1"}
    assert tags.apply({}, "Merge", {"CostCenter": "CC-1"}, "Microsoft.Web/sites") == {"CostCenter": "CC-1"}


def test_limits() -> None:
    with pytest.raises(ApiError) as err:
        tags.validate({"x" * 129: "v"}, "Microsoft.Storage/storageAccounts")
    assert err.value.body["error"]["code"] == "InvalidTagNameLength"
    assert tags.validate({"x" * 129: "v"}, "Microsoft.Compute/virtualMachines")
    with pytest.raises(ApiError):
        tags.apply({}, "Merge", {f"k{i}": "v" for i in range(16)}, "Microsoft.Network/dnszones")
    with pytest.raises(ApiError) as err:
        tags.apply({}, "Upsert", {}, "Microsoft.Compute/virtualMachines")
    assert err.value.body["error"]["code"] == "InvalidTagOperation"
    assert not tags.supports_tags("Microsoft.ClassicCompute/domainNames")


def test_filters() -> None:
    vm = _res("vm-web", "Microsoft.Compute/virtualMachines", {"Env": "Prod", "owner": "ann"})
    st = _res("stweb", "Microsoft.Storage/storageAccounts", {"env": "dev"})
    classic = _res("legacy", "Microsoft.ClassicCompute/domainNames", None)
    items = [vm, st, classic]

    def names(text: str) -> list[str]:
        compiled = compile_filter(text)
        assert compiled is not None
        return [r.name for r in items if compiled.predicate(r)]

    assert names("resourceType eq 'microsoft.compute/VIRTUALMACHINES'") == ["vm-web"]
    assert names("tagName eq 'env' and tagValue eq 'Prod'") == ["vm-web"]
    assert names("startswith(tagName, 'ow')") == ["vm-web"]
    assert names("substringof('web', name)") == ["vm-web", "stweb"]
    assert names("resourceType eq 'Microsoft.Storage/storageAccounts' or name eq 'legacy'") == ["stweb", "legacy"]
    assert compile_filter("tagName eq 'env'").uses_tags  # type: ignore[union-attr]
    with pytest.raises(ApiError) as err:
        compile_filter("color eq 'blue'")
    assert err.value.body["error"]["code"] == "InvalidFilterInQueryString"
