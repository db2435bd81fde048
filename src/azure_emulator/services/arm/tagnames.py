"""Predefined tag names of a subscription (``/subscriptions/{id}/tagNames``), Tags_* of the
Resources spec (2025-04-01): List (a union of predefined tags and the tags of the
subscription, its resource groups and its resources, with counts), CreateOrUpdate / Delete of a
name, CreateOrUpdateValue / DeleteValue of a value.

Names are grouped case-insensitively (the predefined spelling, else the first one met);
values are case-sensitive. ``count`` is the number of tagged entities (subscription, groups,
resources) carrying the name, or the name with that value.
"""

from __future__ import annotations

from typing import Any

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.services.arm import tags as rules
from azure_emulator.world.model import Subscription

_CONTAINER = "Microsoft.Resources/subscriptions"


def _entities(sub: Subscription) -> list[dict[str, str]]:
    out: list[dict[str, str]] = [sub.tags]
    for rg in sub.resource_groups.values():
        out.append(rg.tags)
        out.extend(r.tags for r in rg.resources.values() if r.tags)
    return out


def summary(sub: Subscription) -> list[dict[str, Any]]:
    """TagDetails for every name (predefined first, then in the order met)."""
    base = f"/subscriptions/{sub.subscription_id}/tagNames"
    spelling: dict[str, str] = {}
    counts: dict[str, int] = {}
    values: dict[str, dict[str, int]] = {}
    for name, predefined in sub.predefined_tags.items():
        key = name.lower()
        spelling.setdefault(key, name)
        counts.setdefault(key, 0)
        bucket = values.setdefault(key, {})
        for value in predefined:
            bucket.setdefault(value, 0)
    for tags in _entities(sub):
        for name, value in tags.items():
            key = name.lower()
            spelling.setdefault(key, name)
            counts[key] = counts.get(key, 0) + 1
            bucket = values.setdefault(key, {})
            bucket[value] = bucket.get(value, 0) + 1
    out = []
    for key, name in spelling.items():
        out.append({
            "id": f"{base}/{name}",
            "tagName": name,
            "count": {"type": "Total", "value": counts[key]},
            "values": [
                {"id": f"{base}/{name}/tagValues/{value}", "tagValue": value, "count": {"type": "Total", "value": n}}
                for value, n in values[key].items()
            ],
        })
    return out


def _predefined_key(sub: Subscription, name: str) -> str | None:
    lower = name.lower()
    return next((k for k in sub.predefined_tags if k.lower() == lower), None)


def _in_use(sub: Subscription, name: str, value: str | None = None) -> bool:
    lower = name.lower()
    for tags in _entities(sub):
        for k, v in tags.items():
            if k.lower() == lower and (value is None or v == value):
                return True
    return False


def _validate_name(name: str) -> None:
    rules.validate({name: ""}, _CONTAINER)
    if name.lower().startswith(rules.RESERVED_PREFIXES):
        raise arm_error(
            400,
            "InvalidTagNameReservedPrefix",
            f"The tag name '{name}' has a reserved prefix. Tag names cannot have the following prefixes which are "
            "reserved for Azure use: 'microsoft', 'azure', 'windows'.",
        )


def details(sub: Subscription, name: str) -> dict[str, Any]:
    lower = name.lower()
    return next(d for d in summary(sub) if d["tagName"].lower() == lower)


def create_name(sub: Subscription, name: str) -> tuple[dict[str, Any], bool]:
    """Tags_CreateOrUpdate: ``(TagDetails, created)``."""
    _validate_name(name)
    created = _predefined_key(sub, name) is None
    if created:
        sub.predefined_tags[name] = []
    return details(sub, name), created


def create_value(sub: Subscription, name: str, value: str) -> tuple[dict[str, Any], bool]:
    """Tags_CreateOrUpdateValue: the name is predefined on the way if needed."""
    _validate_name(name)
    rules.validate({name: value}, _CONTAINER)
    key = _predefined_key(sub, name)
    if key is None:
        key = name
        sub.predefined_tags[key] = []
    created = value not in sub.predefined_tags[key]
    if created:
        sub.predefined_tags[key].append(value)
    n = sum(1 for tags in _entities(sub) for k, v in tags.items() if k.lower() == name.lower() and v == value)
    body = {
        "id": f"/subscriptions/{sub.subscription_id}/tagNames/{key}/tagValues/{value}",
        "tagValue": value,
        "count": {"type": "Total", "value": n},
    }
    return body, created


def _in_use_error(what: str) -> ApiError:
    return arm_error(409, "TagInUse", f"The {what} is in use and cannot be deleted. Remove it from every resource, "
                                      "resource group and subscription first.")


def delete_name(sub: Subscription, name: str) -> bool:
    """Tags_Delete: ``True`` when a predefined name was removed (200), ``False`` (204) if absent."""
    key = _predefined_key(sub, name)
    if _in_use(sub, name):
        raise _in_use_error(f"tag name '{name}'")
    if key is None:
        return False
    if sub.predefined_tags[key]:
        raise arm_error(409, "TagValuesExist", f"The tag name '{key}' still has predefined values; delete them first.")
    del sub.predefined_tags[key]
    return True


def delete_value(sub: Subscription, name: str, value: str) -> bool:
    key = _predefined_key(sub, name)
    if _in_use(sub, name, value):
        raise _in_use_error(f"value '{value}' of tag name '{name}'")
    if key is None or value not in sub.predefined_tags[key]:
        return False
    sub.predefined_tags[key].remove(value)
    return True
