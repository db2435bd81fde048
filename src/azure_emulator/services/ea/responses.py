"""Legacy EA reporting API shapes: its error body and its CSV cells."""

from __future__ import annotations

from typing import Any

from azure_emulator.core.errors import ApiError


def error(status: int, message: str) -> ApiError:
    return ApiError(status, {"error": {"code": str(status), "message": message}})


def cell(value: Any) -> str:
    text = "" if value is None else (str(value) if not isinstance(value, bool) else ("True" if value else "False"))
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text
