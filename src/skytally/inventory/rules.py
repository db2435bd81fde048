"""Azure's tag rules, checked before any edit is queued (DESIGN.md §5).

At most 50 tags per resource (15 on a few types), names ≤ 512 characters (128 on storage
accounts), values ≤ 256, names without `< > % & \\ ? /` or control characters and not
starting with a reserved prefix (`microsoft`, `azure`, `windows`), names case-insensitive;
some resource types take no tags at all (data: `UNTAGGABLE_TYPES`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MAX_TAGS = 50
MAX_TAGS_SMALL = 15
MAX_NAME = 512
MAX_NAME_STORAGE = 128
MAX_VALUE = 256
FORBIDDEN_CHARS = "<>%&\\?/"
_FORBIDDEN = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")
RESERVED_PREFIXES = ("microsoft", "azure", "windows")
STORAGE_ACCOUNTS = "microsoft.storage/storageaccounts"
# Types allowed 15 tags only (Azure's tag-support list).
SMALL_TAG_TYPES = frozenset({
    "microsoft.automation/automationaccounts", "microsoft.cdn/profiles", "microsoft.cdn/profiles/endpoints",
    "microsoft.network/dnszones", "microsoft.network/privatednszones",
})
# Types that take no tags (classic resources and proxy types; Azure's tag-support list).
UNTAGGABLE_TYPES = frozenset({
    "microsoft.classiccompute/domainnames", "microsoft.classiccompute/virtualmachines",
    "microsoft.classicstorage/storageaccounts", "microsoft.classicnetwork/virtualnetworks",
    "microsoft.classicnetwork/reservedips", "microsoft.network/virtualnetworks/subnets",
    "microsoft.authorization/roleassignments", "microsoft.authorization/policyassignments",
    "microsoft.billing/billingaccounts", "microsoft.costmanagement/exports",
})


def taggable(resource_type: str) -> bool:
    return resource_type.lower() not in UNTAGGABLE_TYPES


def max_tags(resource_type: str) -> int:
    return MAX_TAGS_SMALL if resource_type.lower() in SMALL_TAG_TYPES else MAX_TAGS


def max_name(resource_type: str) -> int:
    return MAX_NAME_STORAGE if resource_type.lower() == STORAGE_ACCOUNTS else MAX_NAME


def name_problem(name: str, resource_type: str = "") -> str | None:
    """Why a tag name may not be written (None: it may), independent of the resource's tags."""
    if not name or name != name.strip():
        return "a tag name may not be empty or start or end with spaces"
    if _FORBIDDEN.search(name):
        return f"a tag name may not contain {' '.join(FORBIDDEN_CHARS)} or control characters"
    if name.lower().startswith(RESERVED_PREFIXES):
        return f"a tag name may not start with the reserved prefixes {', '.join(RESERVED_PREFIXES)}"
    if len(name) > max_name(resource_type):
        return f"a tag name may have at most {max_name(resource_type)} characters on {resource_type or 'this type'}"
    return None


def value_problem(value: str) -> str | None:
    if len(value) > MAX_VALUE:
        return f"a tag value may have at most {MAX_VALUE} characters"
    return None


@dataclass
class Refusals:
    """Broken rules of a planned edit: rule → resource names (a few, with the total)."""

    by_rule: dict[str, list[str]] = field(default_factory=dict)

    def add(self, rule: str, resource: str) -> None:
        self.by_rule.setdefault(rule, []).append(resource)

    def __bool__(self) -> bool:
        return bool(self.by_rule)

    def message(self) -> str:
        parts = []
        for rule, names in self.by_rule.items():
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            parts.append(f"{rule} ({len(names)} resource(s): {shown})")
        return "Azure's tag rules refuse this edit, nothing was queued: " + "; ".join(parts)


def check_resource(refusals: Refusals, label: str, resource_type: str, new_tags: Mapping[str, str],
                   changed: Iterable[str]) -> None:
    """Check one resource's tags after an edit; `changed` are the names the edit writes
    (only they are checked for name/value rules: what Azure has already stays)."""
    changed = list(changed)
    if not changed:
        return
    if not taggable(resource_type):
        refusals.add(f"resources of type {resource_type} take no tags (add 'taggable' to the filter to leave "
                     "them out)", label)
        return
    for name in changed:
        problem = name_problem(name, resource_type)
        if problem:
            refusals.add(f"{problem} ('{name}')", label)
        value = new_tags.get(name)
        if value is not None:
            vproblem = value_problem(value)
            if vproblem:
                refusals.add(f"{vproblem} ('{name}')", label)
    limit = max_tags(resource_type)
    if len(new_tags) > limit:
        refusals.add(f"a resource of type {resource_type} may have at most {limit} tags", label)
