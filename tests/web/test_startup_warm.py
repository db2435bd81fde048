"""A server builds its routes at start-up, not on the first request of each: FastAPI builds
an included router's routes (dependencies, pydantic validators and serialisers) lazily, which
cost the first Resources list request ~250 ms CPU after every start (bench/tags_list.py)."""

from __future__ import annotations

import pytest
from fastapi import routing
from fastapi.testclient import TestClient

from skytally.runtime import Runtime
from skytally.web.app import create_app


def test_routes_are_built_at_start_up(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    real = routing._populate_api_route_state

    def spy(route, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(path)
        return real(route, path, *args, **kwargs)

    monkeypatch.setattr(routing, "_populate_api_route_state", spy)
    app = create_app(runtime)
    with TestClient(app) as client:  # runs the lifespan, as uvicorn does
        at_start = len(built)
        assert any(p.endswith("/tags/resources") for p in built)
        assert client.get("/api/v1/tags/resources").status_code == 401  # routed, answered
        assert client.get("/healthz").json()["database"] == "ok"
    assert len(built) == at_start, f"built on first request: {built[at_start:]}"


def test_start_up_objects_are_left_out_of_full_collections(runtime: Runtime) -> None:
    """What start-up built is frozen (a full collection walked ~300k objects: 175 ms CPU on
    whichever request triggered it), and unfrozen when the app stops."""
    import gc

    with TestClient(create_app(runtime)):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
