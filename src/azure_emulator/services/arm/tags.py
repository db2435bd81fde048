"""Azure tag rules and the Tags-at-scope operations (Merge / Replace / Delete).

Rules (ARM, see NOTES-tags.md): at most 50 tags (15 for Automation, CDN and DNS zones),
names ≤ 512 characters (128 for storage accounts), values ≤ 256, names may not contain
``< > % & \\ ? /`` or control characters, names are case-insensitive (one value per name
whatever its casing), values case-sensitive; some resource types take no tags.
Every edit is validated in full before anything is written.
"""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.core.errors import ApiError, arm_error

MAX_TAGS = 50
MAX_NAME = 512
MAX_NAME_STORAGE = 128
MAX_VALUE = 256
_FORBIDDEN = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")
FIFTEEN_TAG_TYPES = frozenset(
    t.lower()
    for t in (
        "Microsoft.Automation/automationAccounts",
        "Microsoft.Cdn/profiles",
        "Microsoft.Cdn/profiles/endpoints",
        "Microsoft.Network/dnszones",
        "Microsoft.Network/privateDnsZones",
    )
)
# Types that take no tags at all (classic resources and a few proxy types; tag-support.md).
UNTAGGABLE_TYPES = frozenset(
    t.lower()
    for t in (
        "Microsoft.ClassicCompute/domainNames",
        "Microsoft.ClassicCompute/virtualMachines",
        "Microsoft.ClassicStorage/storageAccounts",
        "Microsoft.ClassicNetwork/virtualNetworks",
        "Microsoft.ClassicNetwork/reservedIps",
        "Microsoft.Network/virtualNetworks/subnets",
        "Microsoft.Authorization/roleAssignments",
        "Microsoft.Authorization/policyAssignments",
        "Microsoft.Billing/billingAccounts",
        "Microsoft.CostManagement/exports",
    )
)


# Providers that store tag names lower-cased whatever the casing sent (Notification Hubs:
# Azure/azure-powershell#6367, "Confirmed that behavior is only found on NotificationHubs").
LOWERCASE_NAME_TYPES = frozenset(
    t.lower() for t in ("Microsoft.NotificationHubs/namespaces", "Microsoft.NotificationHubs/namespaces/notificationHubs")
)
# Predefined tag names (Tags_CreateOrUpdate) may not start with these (resources.json).
RESERVED_PREFIXES = ("microsoft", "azure", "windows")


def provider_normalise(tags: dict[str, str], resource_type: str) -> dict[str, str]:
    """What the resource provider stores: some providers lower-case tag names."""
    if resource_type.lower() in LOWERCASE_NAME_TYPES:
        return {k.lower(): v for k, v in tags.items()}
    return tags


def supports_tags(resource_type: str) -> bool:
    return resource_type.lower() not in UNTAGGABLE_TYPES


def untaggable(resource_type: str) -> ApiError:
    return arm_error(
        400,
        "ResourceTypeDoesNotSupportTags",
        f"The resource type '{resource_type}' does not support tags.",
    )


def validate(tags: Any, resource_type: str) -> dict[str, str]:
    """A clean ``{name: value}`` or the ARM error naming the broken rule."""
    if not isinstance(tags, dict):
        raise arm_error(400, "InvalidRequestContent", "The request content was invalid: 'tags' must be an object.")
    seen: dict[str, str] = {}
    for name, value in tags.items():
        if not isinstance(value, str):
            if value is None or isinstance(value, (dict, list)):
                raise arm_error(400, "InvalidTagValue", f"The value of tag '{name}' must be a string.")
            value = str(value)
        lower = name.lower()
        if lower in seen:
            raise arm_error(
                400,
                "InvalidTagNameCaseDuplicate",
                f"The tag names '{seen[lower]}' and '{name}' differ only by case; tag names are case-insensitive.",
            )
        seen[lower] = name
    bad = [n for n in tags if not n or _FORBIDDEN.search(n) or n != n.strip()]
    if bad:
        raise arm_error(
            400,
            "InvalidTagNameCharacters",
            f"The tag names '{','.join(bad)}' have reserved characters '<,>,%,&,\\,?,/' or control characters.",
        )
    limit = MAX_NAME_STORAGE if resource_type.lower() == "microsoft.storage/storageaccounts" else MAX_NAME
    long_names = [n for n in tags if len(n) > limit]
    if long_names:
        raise arm_error(
            400,
            "InvalidTagNameLength",
            f"The tag name '{long_names[0]}' exceeds the maximum length of '{limit}' characters "
            f"for resource type '{resource_type}'.",
        )
    long_values = [n for n, v in tags.items() if len(str(v)) > MAX_VALUE]
    if long_values:
        raise arm_error(
            400,
            "InvalidTagValueLength",
            f"The value of tag '{long_values[0]}' exceeds the maximum length of '{MAX_VALUE}' characters.",
        )
    return {str(k): str(v) for k, v in tags.items()}


def check_count(tags: dict[str, str], resource_type: str) -> None:
    limit = 15 if resource_type.lower() in FIFTEEN_TAG_TYPES else MAX_TAGS
    if len(tags) > limit:
        raise arm_error(
            400,
            "InvalidTagsCount",
            f"The number of tags '{len(tags)}' exceeds the maximum of '{limit}' tags allowed on "
            f"resource type '{resource_type}'.",
        )


def merge(current: dict[str, str], incoming: dict[str, str]) -> dict[str, str]:
    """Add new names and update existing ones case-insensitively. An existing name keeps the
    casing it was first written with (``Env`` merged as ``ENV`` stays ``Env``, with the new
    value): changing a name's casing takes a Delete, then a Merge."""
    result = dict(current)
    lower_map = {k.lower(): k for k in result}
    for name, value in incoming.items():
        old = lower_map.get(name.lower())
        if old is not None:
            result[old] = value
        else:
            result[name] = value
            lower_map[name.lower()] = name
    return result


def delete(current: dict[str, str], incoming: dict[str, str]) -> dict[str, str]:
    """Delete by name (case-insensitive) — or by name/value pair when a value is given."""
    drop = {k.lower(): v for k, v in incoming.items()}
    result = {}
    for name, value in current.items():
        want = drop.get(name.lower())
        if want is not None and (want == "" or want == value):
            continue
        result[name] = value
    return result


def apply(current: dict[str, str], operation: str, incoming: dict[str, str], resource_type: str) -> dict[str, str]:
    op = operation.lower()
    if op == "replace":
        result = dict(incoming)
    elif op == "merge":
        result = merge(current, incoming)
    elif op == "delete":
        result = delete(current, incoming)
    else:
        raise arm_error(
            400,
            "InvalidTagOperation",
            f"The tag operation '{operation}' is invalid. Allowed operations are 'Merge', 'Replace' and 'Delete'.",
        )
    result = provider_normalise(result, resource_type)
    check_count(result, resource_type)
    return result


def replace_in_place(target: dict[str, str], new: dict[str, str]) -> None:
    """Keep the dict object (indexes hold it) and swap its content."""
    target.clear()
    target.update(new)
