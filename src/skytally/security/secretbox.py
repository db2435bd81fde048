"""Encryption of secrets at rest (client secrets, EA tokens, certificates).

Keys come from `SKYTALLY_SECRET_KEY` (comma-separated Fernet keys, newest first) or
from a key file created 0600 in the data dir on first use. MultiFernet decrypts with
any listed key and encrypts with the first, so rotation is: put a new key first,
re-encrypt everything (`skytally secrets rotate-key`), then drop the old key.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from skytally.errors import ConfigurationError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

KEY_FILE_NAME = "secret.key"


def _valid_key(key: bytes) -> bool:
    """What Fernet's constructor checks: 32 url-safe base64-encoded bytes."""
    try:
        return len(base64.urlsafe_b64decode(key)) == 32
    except (binascii.Error, ValueError):
        return False


class SecretBox:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigurationError("no encryption key configured")
        if not all(_valid_key(k) for k in keys):
            raise ConfigurationError(
                "SKYTALLY_SECRET_KEY (or the key file) holds an invalid key: each key must be "
                "32 url-safe base64-encoded bytes, as made by `skytally secrets new-key`"
            )
        self._keys = list(keys)
        self._built: MultiFernet | None = None

    @property
    def _multi(self) -> MultiFernet:
        # cryptography is imported on first seal/open: a command that never touches a
        # secret (`skytally accounts list`) does not pay for it.
        if self._built is None:
            from cryptography.fernet import Fernet, MultiFernet

            self._built = MultiFernet([Fernet(k) for k in self._keys])
        return self._built

    def __repr__(self) -> str:
        return f"SecretBox(keys={len(self._keys)})"

    def seal(self, value: str | SecretStr) -> str:
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        return self._multi.encrypt(plain.encode()).decode()

    def open(self, token: str) -> SecretStr:
        from cryptography.fernet import InvalidToken

        try:
            return SecretStr(self._multi.decrypt(token.encode()).decode())
        except InvalidToken:
            raise ConfigurationError(
                "a stored secret cannot be decrypted with the configured key(s); the key was "
                "changed without `skytally secrets rotate-key` — restore the previous key"
            ) from None

    def reseal(self, token: str) -> str:
        """Re-encrypt with the newest key (MultiFernet.rotate)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._multi.rotate(token.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(
                "a stored secret cannot be decrypted with any configured key; restore the "
                "key it was sealed with before rotating"
            ) from None


def generate_key() -> bytes:
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def load_keys(secret_key: SecretStr | None, data_dir: Path, *, create: bool = True) -> list[bytes]:
    if secret_key is not None:
        return [k.strip().encode() for k in secret_key.get_secret_value().split(",") if k.strip()]
    path = key_file(data_dir)
    if not path.exists():
        if not create:
            raise ConfigurationError(f"no key file at {path}; set SKYTALLY_SECRET_KEY")
        write_key_file(path, [generate_key()])
    return [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Atomically (re)write the key file, owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"\n".join(keys) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mask(value: str, *, keep: int = 4) -> str:
    """A hint that identifies a secret without revealing it: `••••abcd`."""
    if len(value) <= keep * 2:
        return "••••"
    return "••••" + value[-keep:]
