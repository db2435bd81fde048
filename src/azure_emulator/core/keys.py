"""The emulator's token-signing key (RS256) and its JWKS / certificate."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

_PROCESS_KEY: rsa.RSAPrivateKey | None = None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _process_key() -> rsa.RSAPrivateKey:
    """One RSA key per process unless a state dir persists one (keeps startup fast)."""
    global _PROCESS_KEY
    if _PROCESS_KEY is None:
        _PROCESS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _PROCESS_KEY


class Signer:
    """Signs and verifies the emulator's JWTs; publishes the JWKS."""

    def __init__(self, private_key: rsa.RSAPrivateKey | None = None) -> None:
        self.private_key = private_key or _process_key()
        self.public_key = self.private_key.public_key()
        now = datetime(2024, 1, 1, tzinfo=UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.emulator.local")])
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.public_key)
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=3650))
            .sign(self.private_key, hashes.SHA256())
        )
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        self.kid = b64url(hashlib.sha1(der).digest())
        self._x5c = base64.b64encode(der).decode("ascii")

    @classmethod
    def from_state_dir(cls, state_dir: Path | None) -> Signer:
        """Reuse ``signing-key.pem`` from the state dir (created on first use)."""
        if state_dir is None:
            return cls()
        path = Path(state_dir) / "signing-key.pem"
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            return cls(key)
        key = _process_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cls(key)

    def jwks(self, issuer: str | None = None) -> dict[str, Any]:
        nums = self.public_key.public_numbers()
        key: dict[str, Any] = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _int_b64url(nums.n),
            "e": _int_b64url(nums.e),
            "x5c": [self._x5c],
        }
        if issuer:
            key["issuer"] = issuer
        return {"keys": [key]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims,
            self.private_key,
            algorithm="RS256",
            headers={"typ": "JWT", "kid": self.kid, "x5t": self.kid},
        )

    def verify(self, token: str) -> dict[str, Any]:
        """Signature only; lifetime and audience are checked by the caller (emulator clock)."""
        return jwt.decode(
            token,
            self.public_key,
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
