"""Control API shapes: its error body ``{"error": "<message>"}`` (the control API is the
emulator's own, not Azure's: plain messages, the status of the failure)."""

from __future__ import annotations

from starlette.responses import Response

from azure_emulator.core.http import JsonResponse
from azure_emulator.services.control.backend import ControlError


def control_error(exc: ControlError) -> Response:
    return JsonResponse({"error": exc.message}, status_code=exc.status)
