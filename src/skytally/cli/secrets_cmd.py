"""`skytally secrets …`: the encryption key of secrets at rest."""

from __future__ import annotations

import typer
from rich.progress import Progress

from skytally.cli.common import console, settings
from skytally.errors import ConfigurationError
from skytally.security.secretbox import SecretBox, generate_key, key_file, load_keys, write_key_file
from skytally.security.vault import Vault
from skytally.store import migrate
from skytally.store.db import Database

app = typer.Typer(help="Manage the key that encrypts stored secrets.", no_args_is_help=True)


@app.command("new-key")
def new_key() -> None:
    """Print a fresh key (for SKYTALLY_SECRET_KEY)."""
    typer.echo(generate_key().decode())


@app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every stored secret with a new key.

    With a key file: a new key is generated and put first, everything is re-encrypted in
    one transaction, then the old key is dropped. With SKYTALLY_SECRET_KEY: put the new
    key first in the variable (old keys after it), run this, then remove the old keys.
    """
    cfg = settings()
    cfg.prepare()
    db = Database(cfg.resolved_database_url)
    migrate.upgrade(db)
    from_env = cfg.secret_key is not None
    old_keys = load_keys(cfg.secret_key, cfg.data_dir)
    if from_env:
        if len(old_keys) < 2:
            raise ConfigurationError(
                "SKYTALLY_SECRET_KEY holds one key; put a new key first (`skytally secrets new-key`), "
                "keep the current one after a comma, and run this again"
            )
        keys = old_keys
    else:
        keys = [generate_key(), *old_keys]
        # Both keys on disk before re-encrypting: a crash leaves every secret readable.
        write_key_file(key_file(cfg.data_dir), keys)
    vault = Vault(SecretBox(keys))
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("re-encrypting secrets", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with db.session() as session:
            count = vault.reseal_all(session, progress)
    if not from_env:
        write_key_file(key_file(cfg.data_dir), keys[:1])
        typer.echo(f"Re-encrypted {count} secret(s) with a new key; the old key was removed from {key_file(cfg.data_dir)}")
    else:
        typer.echo(
            f"Re-encrypted {count} secret(s) with the first key of SKYTALLY_SECRET_KEY; "
            "you can now remove the old key(s) from the variable"
        )
