"""Settings: env parsing, placeholder refusal, custom clouds, no I/O at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from skytally.clouds import KNOWN_CLOUDS, CloudName
from skytally.config import Settings


def test_defaults_are_public_azure_and_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings(data_dir=tmp_path)
    assert s.endpoints == KNOWN_CLOUDS[CloudName.PUBLIC]
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'skytally.db'}"
    assert s.endpoints.arm_scope() == "https://management.azure.com/.default"


def test_nested_env_and_placeholder_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKYTALLY_AZURE_APP__CLIENT_ID", "11111111-1111-1111-1111-111111111111")
    monkeypatch.setenv("SKYTALLY_AZURE_APP__CLIENT_SECRET", "changeme")
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()
    s = Settings(demo=True)
    assert s.azure_app.client_id == "11111111-1111-1111-1111-111111111111"
    assert "changeme" not in repr(s)


def test_custom_cloud_needs_endpoints_and_a_real_ca(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKYTALLY_CLOUD", "custom")
    with pytest.raises(ValidationError, match="SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST"):
        Settings()
    for key, value in {
        "AUTHORITY_HOST": "https://127.0.0.1:9443",
        "RESOURCE_MANAGER": "https://127.0.0.1:9443/arm",
        "RESOURCE_MANAGER_AUDIENCE": "https://127.0.0.1:9443/arm",
        "MICROSOFT_GRAPH": "https://127.0.0.1:9443/graph",
        "MICROSOFT_GRAPH_AUDIENCE": "https://127.0.0.1:9443/graph",
        "EA_REPORTING": "https://127.0.0.1:9443/ea",
        "INSTANCE_DISCOVERY": "false",
        "CA_BUNDLE": str(tmp_path / "missing.pem"),
    }.items():
        monkeypatch.setenv(f"SKYTALLY_CLOUD_ENDPOINTS__{key}", value)
    with pytest.raises(ValidationError, match=r"CA bundle .* does not exist"):
        Settings()
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE", str(tmp_path / "ca.pem"))
    s = Settings()
    assert s.endpoints.url("resource_manager") == "https://127.0.0.1:9443/arm"
    assert s.endpoints.arm_scope() == "https://127.0.0.1:9443/arm/.default"
    assert s.endpoints.instance_discovery is False


def test_yaml_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "skytally.yaml"
    cfg.write_text("port: 9001\nqueue_url: redis://127.0.0.1:6379/3\n")
    monkeypatch.setenv("SKYTALLY_CONFIG_FILE", str(cfg))
    s = Settings()
    assert s.port == 9001 and s.queue_url == "redis://127.0.0.1:6379/3"


def test_importing_the_product_does_no_io(tmp_path: Path) -> None:
    """Importing every module must not create the data dir or touch the network."""
    code = (
        "import pkgutil, importlib, skytally\n"
        "for m in pkgutil.walk_packages(skytally.__path__, 'skytally.'):\n"
        "    if '.migrations' in m.name: continue\n"
        "    importlib.import_module(m.name)\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, cwd=tmp_path
    )
    assert list(home.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_no_microsoft_hosts_outside_clouds_module() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "skytally"
    hosts = ("microsoftonline", "management.azure.com", "graph.microsoft", "consumption.azure", "chinacloudapi", "usgovcloudapi")
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "clouds.py" and any(h in p.read_text() for h in hosts)
    ]
    assert offenders == []
