"""Secrets at rest: encrypted, masked, rotatable, never shown."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from skytally.errors import ConfigurationError
from skytally.runtime import Runtime
from skytally.security.models import StoredSecret
from skytally.security.secretbox import SecretBox, generate_key, key_file, load_keys

SECRET = "s3cr3t-Value-~Q8"


def test_key_file_is_created_owner_only(tmp_path: Path) -> None:
    keys = load_keys(None, tmp_path)
    mode = stat.S_IMODE(key_file(tmp_path).stat().st_mode)
    assert len(keys) == 1 and mode == 0o600


def test_vault_stores_ciphertext_and_masks(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        row = runtime.vault.put(s, "test", SecretStr(SECRET))
        sid = row.id
    with runtime.db.session() as s:
        stored = s.get(StoredSecret, sid)
        assert stored is not None
        assert SECRET not in stored.ciphertext and stored.hint == "••••" + SECRET[-4:]
        assert SECRET not in repr(stored) and SECRET not in repr(runtime.vault)
        revealed = runtime.vault.reveal(s, sid)
        assert SECRET not in repr(revealed) and revealed.get_secret_value() == SECRET


def test_wrong_key_says_what_to_do() -> None:
    token = SecretBox([generate_key()]).seal(SECRET)
    with pytest.raises(ConfigurationError, match="restore the previous key"):
        SecretBox([generate_key()]).open(token)
    with pytest.raises(ConfigurationError, match="invalid key"):
        SecretBox([b"not-a-key"])


def test_rotate_key_cli_reencrypts_everything(runtime: Runtime, tmp_path: Path) -> None:
    settings = runtime.settings
    with runtime.db.session() as s:
        for i in range(3):
            runtime.vault.put(s, "test", SecretStr(f"{SECRET}-{i}"))
    old_key = key_file(settings.data_dir).read_text()
    env = {
        "SKYTALLY_DATA_DIR": str(settings.data_dir),
        "SKYTALLY_DATABASE_URL": settings.resolved_database_url,
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-m", "skytally.cli.main", "secrets", "rotate-key"],
        env=env, capture_output=True, text=True, check=True,
    )
    assert "Re-encrypted 3 secret(s)" in out.stdout
    new_key = key_file(settings.data_dir).read_text()
    assert new_key != old_key and len(new_key.split()) == 1
    fresh = SecretBox(load_keys(None, settings.data_dir, create=False))
    with runtime.db.session() as s:
        values = sorted(fresh.open(r.ciphertext).get_secret_value() for r in s.scalars(select(StoredSecret)))
    assert values == [f"{SECRET}-{i}" for i in range(3)]
    with pytest.raises(ConfigurationError):
        SecretBox([old_key.strip().encode()]).open(
            next(iter(runtime.db.sessionmaker().scalars(select(StoredSecret)))).ciphertext
        )
