"""A small Swagger 2.0 (autorest flavour) validator and example-shape comparator.

Resolves local ``$ref`` (``#/definitions/X``) and ``allOf``; references into files that are
not in the reference copy (``common-types``) validate as "anything". ``null`` is accepted
for properties that are not required (ARM serialises absent optional values as null).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = (REPO / ".." / "shared" / "azure-reference").resolve()
SPECS = REFERENCE / "specs"
# Reference files added after shared/ was laid (with their sources in tests/reference/MANIFEST.md):
# CI gets shared/ read-only, so additions live in the repo.
REPO_SPECS = REPO / "tests" / "reference" / "specs"

# CI clones the repo with shared/ beside it; a bare clone elsewhere skips, saying why.
requires_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason=f"Microsoft reference material not found at {REFERENCE}"
)


def load(rel: str) -> dict[str, Any]:
    path = SPECS / rel
    if not path.exists():
        path = REPO_SPECS / rel
    return json.loads(path.read_text())  # type: ignore[no-any-return]


class Swagger:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        ref = schema.get("$ref")
        if ref is None:
            return schema
        if not ref.startswith("#/"):
            return None  # external file not copied: unconstrained
        node: Any = self.doc
        for part in ref[2:].split("/"):
            if part not in node:
                return None  # a definition an excerpt did not copy: unconstrained
            node = node[part]
        return self.resolve(node)

    def properties(self, schema: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        props = dict(schema.get("properties", {}))
        required = set(schema.get("required", []))
        for part in schema.get("allOf", []):
            resolved = self.resolve(part)
            if resolved is not None:
                p, r = self.properties(resolved)
                props.update(p)
                required |= r
        return props, required

    def validate(self, value: Any, schema: dict[str, Any] | str, path: str = "$") -> list[str]:
        if isinstance(schema, str):
            schema = {"$ref": f"#/definitions/{schema}"}
        resolved = self.resolve(schema)
        if resolved is None:
            return []
        errors: list[str] = []
        kind = resolved.get("type")
        props, required = self.properties(resolved)
        if kind is None and props:
            kind = "object"
        checks = {
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "array": lambda v: isinstance(v, list),
            "object": lambda v: isinstance(v, dict),
        }
        if kind == "object" and not props and "additionalProperties" not in resolved:
            return []  # autorest: a bare "object" is any JSON value
        if kind in checks and not checks[kind](value):
            return [f"{path}: expected {kind}, got {type(value).__name__} ({value!r:.60})"]
        enum = resolved.get("enum")
        if enum and not resolved.get("x-ms-enum", {}).get("modelAsString", False) and value not in enum:
            errors.append(f"{path}: {value!r} not in {enum}")
        if isinstance(value, dict):
            for name in required:
                if name not in value:
                    errors.append(f"{path}: missing required property {name!r}")
            extra = resolved.get("additionalProperties")
            for key, item in value.items():
                sub = props.get(key)
                if sub is None:
                    if isinstance(extra, dict):
                        errors += self.validate(item, extra, f"{path}.{key}") if item is not None else []
                    elif props and extra is None and kind == "object":
                        errors.append(f"{path}: unexpected property {key!r}")
                    continue
                if item is None and key not in required:
                    continue
                errors += self.validate(item, sub, f"{path}.{key}")
        if isinstance(value, list) and "items" in resolved:
            for i, item in enumerate(value):
                errors += self.validate(item, resolved["items"], f"{path}[{i}]")
        return errors


# Keys that ARM omits when empty / on the last page, and free-form maps compared by type only.
OPTIONAL = {"nextLink", "tags", "$skipToken"}
OPAQUE = {"tags"}


def shape_errors(example: Any, actual: Any, path: str = "$") -> list[str]:
    """Every key in Microsoft's example exists in ours with the same JSON type (recursively);
    ``OPTIONAL`` keys may be absent, ``OPAQUE`` maps are compared by type only."""
    def kind(v: Any) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int | float):
            return "number"
        return type(v).__name__
    if isinstance(example, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected object, got {kind(actual)}"]
        errors = []
        for key, value in example.items():
            if key not in actual:
                if key not in OPTIONAL:
                    errors.append(f"{path}: missing {key!r}")
            elif key in OPAQUE:
                if actual[key] is not None and not isinstance(actual[key], dict):
                    errors.append(f"{path}.{key}: expected object")
            else:
                errors += shape_errors(value, actual[key], f"{path}.{key}")
        return errors
    if isinstance(example, list):
        if not isinstance(actual, list):
            return [f"{path}: expected array, got {kind(actual)}"]
        if example and actual:
            return shape_errors(example[0], actual[0], f"{path}[0]")
        return []
    if example is None or actual is None:
        return []
    if kind(example) != kind(actual):
        return [f"{path}: expected {kind(example)}, got {kind(actual)}"]
    return []
