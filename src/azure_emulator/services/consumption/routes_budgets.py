"""Microsoft.Consumption budgets (mounted at ``/arm``):

``GET|PUT|DELETE /{scope}/providers/Microsoft.Consumption/budgets/{name}`` and
``GET /{scope}/providers/Microsoft.Consumption/budgets``. ``currentSpend`` is the actual cost
of the budget's current period (time grain) at its scope, under its filter. PUT answers 201
when created, 200 when replaced (a stale ``eTag`` is 412); DELETE 200, or 404 if absent.
Writing needs ``Microsoft.Consumption/budgets/write`` (Owner, Contributor, Cost Management
Contributor); reading Cost Management read access at the scope.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import ArmRoute, empty_response, json_response, read_json
from azure_emulator.core.errors import arm_error
from azure_emulator.services.costmanagement import budget_rules as rules
from azure_emulator.services.costmanagement.scopes import cost_context

READ = "Microsoft.Consumption/budgets/read"
WRITE = "Microsoft.Consumption/budgets/write"
DELETE = "Microsoft.Consumption/budgets/delete"


def _not_found(name: str) -> Exception:
    return arm_error(404, "NotFound", f"The budget '{name}' was not found.")


async def list_budgets(request: Request) -> Response:
    world, st, scope, _ = cost_context(request, READ)
    prefix = f"/{scope.path}/providers/Microsoft.Consumption/budgets/".lower()
    found = [b for key, b in world.budgets.items() if key.startswith(prefix)]
    value = [rules.budget_json(b, rules.current_spend(world, st, scope, b, request), scope.account.currency) for b in found]
    return json_response({"value": value})


async def budget(request: Request) -> Response:
    action = {"GET": READ, "HEAD": READ, "PUT": WRITE, "DELETE": DELETE}[request.method]
    world, st, scope, _ = cost_context(request, action)
    name = request.path_params["name"]
    key = f"/{scope.path}/providers/Microsoft.Consumption/budgets/{name}".lower()
    existing = world.budgets.get(key)
    if request.method == "PUT":
        created = rules.from_body("/" + scope.path, existing.name if existing else name, await read_json(request), existing)
        with world.lock:
            world.budgets[key] = created
        body = rules.budget_json(created, rules.current_spend(world, st, scope, created, request), scope.account.currency)
        return json_response(body, 200 if existing else 201)
    if existing is None:
        raise _not_found(name)
    if request.method == "DELETE":
        with world.lock:
            world.budgets.pop(key, None)
        return empty_response(200)
    return json_response(rules.budget_json(existing, rules.current_spend(world, st, scope, existing, request),
                                           scope.account.currency))


_PATH = r"/providers/Microsoft\.Consumption/budgets"
router = Router(
    routes=[
        ArmRoute(r"/(?P<scope>.+?)" + _PATH, list_budgets, ["GET"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PATH + r"/(?P<name>[^/]+)", budget, ["GET", "PUT", "DELETE"]),
    ]
)

