"""ARM plumbing, now ``azure_emulator.core.arm`` (re-exported for the arm service's modules)."""

from __future__ import annotations

from azure_emulator.core.arm import (
    GUID_RE,
    ArmRoute,
    Endpoint,
    ParsedScope,
    ScopeKind,
    decode_skiptoken,
    empty_response,
    encode_skiptoken,
    invalid_scope,
    json_response,
    page_size,
    paged,
    parse_scope,
    read_json,
    require_api_version,
)

__all__ = [
    "GUID_RE",
    "ArmRoute",
    "Endpoint",
    "ParsedScope",
    "ScopeKind",
    "decode_skiptoken",
    "empty_response",
    "encode_skiptoken",
    "invalid_scope",
    "json_response",
    "page_size",
    "paged",
    "parse_scope",
    "read_json",
    "require_api_version",
]
