"""Shared CLI plumbing: one runtime per command, output as tables or JSON.

The settings and the runtime (database, ORM, vault) are imported when a command first asks
for them: a group's `--help` does not load them."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from skytally.config import Settings
    from skytally.runtime import Runtime

console = Console(emoji=False)  # names like ":cloud:" print as typed; no emoji table to load
err_console = Console(stderr=True, emoji=False)

JSON_HELP = "Print JSON instead of a table."

_runtime: Runtime | None = None


DEMO_DIR = "skytally-demo"  # where `skytally demo` keeps its data (cli/demo.py)
DEMO_ENV_FILE = "demo.env"  # the demo's emulator settings, written by `skytally demo`


def settings() -> Settings:
    from skytally.config import get_settings

    use_demo_settings()
    return get_settings()


def use_demo_settings() -> Path | None:
    """Work on a demo when there is one: with SKYTALLY_DATA_DIR naming a demo's data dir, or
    run in the directory where `skytally demo` runs (it holds `skytally-demo/`). The demo's
    `demo.env` (its emulator's endpoints, CA and app) fills in what the environment does not
    set, so `skytally accounts add` signs in at the demo's emulator, not at Microsoft."""
    if "SKYTALLY_DATA_DIR" in os.environ:
        data_dir = Path(os.environ["SKYTALLY_DATA_DIR"])
    elif (Path.cwd() / DEMO_DIR / DEMO_ENV_FILE).exists():
        data_dir = Path.cwd() / DEMO_DIR
        os.environ["SKYTALLY_DATA_DIR"] = str(data_dir)
    else:
        return None
    env_file = data_dir / DEMO_ENV_FILE
    if not env_file.exists():
        return None
    for line in env_file.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("SKYTALLY_"):
            os.environ.setdefault(key, value)
    return env_file


def runtime(*, migrate: bool = True) -> Runtime:
    """The command's runtime (built once; migrates the database on first use)."""
    global _runtime
    if _runtime is None:
        from skytally.runtime import build_runtime


        _runtime = build_runtime(settings(), migrate_db=migrate, lazy_queue=True)
    return _runtime


@contextmanager
def session() -> Iterator[Session]:
    with runtime().db.session() as s:
        yield s


def to_jsonable(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, default=str) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        table.add_column(col)
    for row in rows:
        # Text, not str: Rich would read a name like "Ops [prod]" as markup and drop or choke on it
        table.add_row(*[Text("" if v is None else str(v)) for v in row])
    if not rows:
        console.print(f"[dim]{title}: none[/dim]")
        return
    console.print(table)


def when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "—"
