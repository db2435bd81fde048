"""The demo banner reads well in an 80-column terminal: no line wraps into the next one's
column (long URLs and paths start their own indented line), and the CLI hint names a
`skytally` the user can type (demo.sh's .venv is not on their PATH)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from skytally.cli.demo import banner, cli_command
from skytally.config import Settings

FX = {"second_domain": "fabrikam.onmicrosoft.com", "second_owner_upn": "felix.owner@fabrikam.onmicrosoft.com",
      "second_owner_password": "Orchid-Lumen-5993!", "o365_domain": "northwind.onmicrosoft.com",
      "o365_admin_upn": "nina.admin@northwindtraders.com", "o365_admin_password": "Kestrel-Pioneer-2817!",
      "mca_billing_account_id": "5e1a2c3d-0000-4000-8000-000000000001:6f2b3d4e-0000-4000-8000-000000000002_2019-05-31"}
HEADINGS = ("skytally demo is running", "Azure emulator at", "Restarted:", "login are as you", "Press Ctrl-C")


@pytest.mark.parametrize("restored", [False, True])
def test_banner_lines_fit_80_columns(tmp_path: Path, restored: bool) -> None:
    data_dir = Path("/home/someone/skytally/skytally-demo")
    settings = Settings(data_dir=data_dir, base_url="http://127.0.0.1:8300")
    emulator = SimpleNamespace(restored=restored, base_url="https://127.0.0.1:38801",
                               settings={"SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE": f"{data_dir}/emulator/ca.pem"})
    console = Console(width=80, record=True, color_system=None)
    console.print(banner(settings, emulator, "admin@example.com", "0iuicNIaEcwWhZ7J", "Contoso (sample)",  # type: ignore[arg-type]
                         FX, command=".venv/bin/skytally"))
    lines = [line[2:-2].rstrip() for line in console.export_text().splitlines()[1:-1]]
    wrapped = [line for line in lines if line and not line.startswith("  ") and not line.startswith(HEADINGS)]
    assert not wrapped, "\n".join(lines)
    text = "\n".join(lines)
    assert "Password  0iuicNIaEcwWhZ7J" in text and "→ tenant fabrikam.onmicrosoft.com" in text
    assert ".venv/bin/skytally …" in text and ("Restarted" in text) is restored
    assert "Try MCA" in text and f"{data_dir}/try-mca.txt" in text


def test_cli_command_is_relative_under_this_directory(tmp_path: Path) -> None:
    exe = tmp_path / ".venv" / "bin" / "skytally"
    assert cli_command(str(exe), tmp_path) == ".venv/bin/skytally"
    assert cli_command(str(exe), tmp_path / "elsewhere") == "skytally"
    assert cli_command("/usr/lib/python3/dist-packages/skytally/__main__.py", tmp_path) == "skytally"
