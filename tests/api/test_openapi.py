"""The OpenAPI document covers every /api/v1 route, and the docs page uses vendored assets."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import APIRoute

from httpkit import World
from skytally.api.router import API_PREFIX, API_ROUTERS
from skytally.web import app as web_app

WEB_DIR = Path(web_app.__file__).parent


def test_every_api_route_is_documented(world: World) -> None:
    spec = world.anonymous().get("/api/v1/openapi.json").json()
    documented = {
        (path, method.upper()) for path, ops in spec["paths"].items() for method in ops
    }
    routes = [r for router in API_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 20
    for route in routes:
        path = API_PREFIX + route.path
        for method in route.methods:
            assert (path, method) in documented, f"{method} {path} not in OpenAPI"
            op = spec["paths"][path][method.lower()]
            assert op.get("tags"), f"{method} {path} has no tag"
            assert op.get("summary"), f"{method} {path} has no summary"
            assert {"ApiToken": []} in op.get("security", []), f"{method} {path}"
            assert {"400", "401", "404", "409", "422"} <= set(op["responses"]), f"{method} {path}"
    assert all(p.startswith("/api/v1/") for p in spec["paths"]), "pages leak into the API docs"


def test_security_schemes_and_tags(world: World) -> None:
    spec = world.anonymous().get("/api/v1/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiToken"] == {
        "type": "http", "scheme": "bearer", "description": schemes["ApiToken"]["description"],
    }
    assert schemes["SessionCookie"]["in"] == "cookie"
    assert {t["name"] for t in spec["tags"]} == {"me", "workspaces", "accounts", "tokens", "users", "jobs", "costs",
                                              "inventory", "licences", "tags"}
    detail = spec["components"]["schemas"]["ErrorOut"]["properties"]["detail"]
    assert detail["type"] == "string"


def test_docs_page_loads_vendored_swagger_ui(world: World) -> None:
    client = world.anonymous()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any("/static/vendor/swagger-ui/swagger-ui-bundle.js" in a for a in assets)
    assert any("/static/vendor/swagger-ui/swagger-ui.css" in a for a in assets)
    assert not re.search(r'(?:src|href)="https?:', page.text)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
    assert "<script>" not in page.text  # no inline script: the CSP forbids it


def test_no_cdn_or_external_urls_in_templates_and_scripts() -> None:
    for path in [*WEB_DIR.glob("templates/**/*.html"), *WEB_DIR.glob("static/js/*.js")]:
        text = path.read_text()
        assert not re.search(r"(src|href)=\"https?://", text), path
        assert "cdn." not in text, path
    assert (WEB_DIR / "static/vendor/htmx/htmx.min.js").stat().st_size > 10_000
    assert (WEB_DIR / "static/vendor/htmx/LICENSE").exists()
    assert (WEB_DIR / "static/vendor/swagger-ui/LICENSE").exists()
