"""Every emulated service package has the same layout, moto's: ``routes.py`` (its HTTP
routes, the ``router`` the server mounts), ``responses.py`` (the shapes of its answers and
errors), ``backend.py`` (its state and rules). Routes split by topic live in
``routes_<topic>.py`` and are combined by the package's ``routes.py`` (in match order);
emulator-only control routes live in ``control.py``. No other module exposes routes, and the
server mounts only ``routes`` and ``control`` modules."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import azure_emulator.services as services_pkg
from azure_emulator import server

SERVICES = Path(services_pkg.__file__).parent
PACKAGES = sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())
REQUIRED = {"routes", "responses", "backend"}


def _modules(package: str) -> set[str]:
    return {p.stem for p in (SERVICES / package).glob("*.py") if p.stem != "__init__"}


def _exposes_routes(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id in ("router", "routes") for t in targets):
            return True
    return False


def test_the_packages_are_the_services() -> None:
    assert {"arm", "authorization", "billing", "blobs", "consumption", "control", "costmanagement", "ea", "entra",
            "graph", "locks", "policy", "resourcegraph"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_has_routes_responses_and_backend(package: str) -> None:
    assert _modules(package) >= REQUIRED, f"services/{package} lacks {sorted(REQUIRED - _modules(package))}"


@pytest.mark.parametrize("package", PACKAGES)
def test_only_routes_and_control_modules_expose_routes(package: str) -> None:
    exposing = {p.stem for p in (SERVICES / package).glob("*.py") if _exposes_routes(p)}
    misnamed = {m for m in exposing if m not in ("routes", "control") and not m.startswith("routes_")}
    assert not misnamed, f"services/{package}: {sorted(misnamed)} expose routes; name them routes_<topic>.py"
    assert "routes" in exposing


@pytest.mark.parametrize("package", PACKAGES)
def test_routes_combines_its_topic_modules(package: str) -> None:
    combined = importlib.import_module(f"azure_emulator.services.{package}.routes").router.routes
    for topic in sorted(m for m in _modules(package) if m.startswith("routes_")):
        module = importlib.import_module(f"azure_emulator.services.{package}.{topic}")
        for route in module.router.routes:
            assert any(route is r for r in combined), f"{package}.{topic}: {route} is not in {package}.routes"


def test_the_server_mounts_each_packages_routes_and_control_and_nothing_else() -> None:
    listed = [m.removeprefix("azure_emulator.services.") for _, m in server.SERVICE_MODULES]
    assert all(m.count(".") == 1 and m.split(".")[1] in ("routes", "control") for m in listed), listed
    assert {m.split(".")[0] for m in listed if m.endswith(".routes")} == set(PACKAGES)
    controls = {p for p in PACKAGES if "control" in _modules(p)}
    assert {m.split(".")[0] for m in listed if m.endswith(".control")} == controls
