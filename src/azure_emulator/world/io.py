"""Load and save worlds as JSON or YAML (hand-writable; format in docs/emulator.md).

The file mirrors the dataclasses in ``model.py`` with three conveniences:
collections keyed by id in memory (tenants, users, subscriptions, …) are *lists* in the
file; datetimes are ISO 8601 strings; timedeltas are seconds. Omitted fields take their
dataclass defaults, so a hand-written world only needs the required fields.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from azure_emulator.world import model
from azure_emulator.world.model import World

FORMAT = "azure-emulator-world/1"

# (class name, field) → how the in-memory dict is keyed when the file holds a list
KEYED: dict[tuple[str, str], typing.Callable[[Any], str]] = {
    ("World", "tenants"): lambda o: o.tenant_id.lower(),
    ("World", "role_definitions"): lambda o: o.id,
    ("World", "role_assignments"): lambda o: o.name,
    ("World", "locks"): lambda o: o.id.lower(),
    ("World", "billing_accounts"): lambda o: o.name.lower(),
    ("World", "first_party_apps"): lambda o: o.app_id.lower(),
    ("World", "budgets"): lambda o: o.id.lower(),
    ("World", "cost_exports"): lambda o: o.id.lower(),
    ("Tenant", "users"): lambda o: o.object_id,
    ("Tenant", "groups"): lambda o: o.object_id,
    ("Tenant", "applications"): lambda o: o.app_id,
    ("Tenant", "service_principals"): lambda o: o.object_id,
    ("Tenant", "subscriptions"): lambda o: o.subscription_id.lower(),
    ("Subscription", "resource_groups"): lambda o: o.name.lower(),
    ("ResourceGroup", "resources"): lambda o: resource_key(o.type, o.name),
}
SKIP = {("World", "lock"), ("World", "clock"), ("World", "derived")}


def resource_key(type_: str, name: str) -> str:
    """How ``ResourceGroup.resources`` is keyed: lowercased ``type/name``."""
    return f"{type_}/{name}".lower()


_hints_cache: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _hints_cache.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls, vars(model))
        _hints_cache[cls] = hints
    return hints


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls_name = type(value).__name__
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if (cls_name, f.name) in SKIP or f.name.startswith("_"):
                continue
            v = getattr(value, f.name)
            if (cls_name, f.name) in KEYED and isinstance(v, dict):
                out[f.name] = [_dump(x) for x in v.values()]
            else:
                out[f.name] = _dump(v)
        return out
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_dump(v) for v in value]
    return value


def world_to_dict(world: World) -> dict[str, Any]:
    data = _dump(world)
    data["clock_offset_seconds"] = world.clock.offset.total_seconds()
    return {"format": FORMAT, **data}


def _load(tp: Any, value: Any, owner: str = "", field_name: str = "") -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _load(args[0], value, owner, field_name) if len(args) == 1 else value
    if origin is typing.Literal or tp is Any:
        return value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _load_dataclass(tp, value)
    if tp is datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value
    if tp is timedelta:
        return timedelta(seconds=float(value))
    if origin is list:
        (arg,) = typing.get_args(tp) or (Any,)
        return [_load(arg, v) for v in value]
    if origin is dict:
        _, varg = typing.get_args(tp) or (Any, Any)
        if isinstance(value, list):
            key = KEYED.get((owner, field_name))
            items = [_load(varg, v) for v in value]
            if key is None:
                raise ValueError(f"{owner}.{field_name} must be a mapping")
            return {key(i): i for i in items}
        return {k: _load(varg, v) for k, v in value.items()}
    return value


def _load_dataclass(cls: type, data: dict[str, Any]) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected a mapping, got {type(data).__name__}")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    kwargs = {k: _load(hints[k], v, cls.__name__, k) for k, v in data.items() if (cls.__name__, k) not in SKIP}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{cls.__name__}: {exc}") from None


def world_from_dict(data: dict[str, Any]) -> World:
    data = dict(data)
    fmt = data.pop("format", FORMAT)
    if fmt != FORMAT:
        raise ValueError(f"unsupported world format {fmt!r} (expected {FORMAT!r})")
    offset = float(data.pop("clock_offset_seconds", 0) or 0)
    data.setdefault("seed", 0)
    data.setdefault("size", "custom")
    world: World = _load_dataclass(World, data)
    world.tenants = {k.lower(): v for k, v in world.tenants.items()}
    world.clock.offset = timedelta(seconds=offset)
    return world


def save_world(world: World, path: str | Path) -> None:
    path = Path(path)
    data = world_to_dict(world)
    if path.suffix.lower() in (".yaml", ".yml"):
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    else:
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False))


def load_world(path: str | Path) -> World:
    path = Path(path)
    text = path.read_text()
    data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    return world_from_dict(data)
