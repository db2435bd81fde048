"""Legacy EA reporting API keys (see ea/NOTES.md §3): RS256 JWTs whose payload carries
``EnrollmentNumber``; valid about six months. The EA API answers 401 for a key that is
malformed, badly signed, expired, revoked (``world.revoked_ea_keys``) or for another
enrollment."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt

from azure_emulator.core.errors import ApiError
from azure_emulator.core.keys import Signer
from azure_emulator.world.model import World

KEY_LIFETIME = timedelta(days=182)


def mint(signer: Signer, enrollment: str, now: datetime, *, lifetime: timedelta = KEY_LIFETIME) -> str:
    iat = int(now.timestamp())
    claims = {"EnrollmentNumber": str(enrollment), "Id": str(uuid.uuid4()), "ReportView": "Enterprise",
              "PartnerId": "", "DepartmentId": "", "AccountId": "", "iss": "ea.microsoftazure.com",
              "aud": "client.ea.microsoftazure.com", "iat": iat, "nbf": iat, "exp": iat + int(lifetime.total_seconds())}
    return signer.sign(claims)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, {"error": {"code": "401", "message": message}})


def check(world: World, signer: Signer, header: str | None, enrollment: str) -> dict[str, Any]:
    """The key's claims, or a 401 ApiError as the EA API words it."""
    scheme, _, key = (header or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise _unauthorized("API Key not found. Pass it as 'Authorization: bearer {API_KEY}'.")
    try:
        claims = jwt.decode(key, signer.public_key, algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False})
    except jwt.PyJWTError:
        raise _unauthorized("Invalid API Key.") from None
    if key in world.revoked_ea_keys:
        raise _unauthorized("API Key has been revoked.")
    if float(claims.get("exp", 0)) <= world.clock.now().timestamp():
        raise _unauthorized("API Key has expired.")
    if str(claims.get("EnrollmentNumber")) != str(enrollment):
        raise _unauthorized(f"API Key is not valid for enrollment {enrollment}.")
    return claims
