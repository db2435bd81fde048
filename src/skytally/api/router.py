"""The /api/v1 router: every API module, shared error responses, OpenAPI tags."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from skytally.api import (
    accounts,
    costs,
    inventory,
    jobs,
    licences,
    me,
    tags,
    tokens,
    users,
    workspaces,
)
from skytally.api.schemas import ErrorOut

API_PREFIX = "/api/v1"

OPENAPI_TAGS: list[dict[str, Any]] = [
    {"name": "me", "description": "Who is calling."},
    {"name": "workspaces", "description": "Workspaces and their members."},
    {"name": "accounts", "description": "Cloud Tenant Setup: tenants, subscriptions, access levels, credentials, EA tokens."},
    {"name": "tokens", "description": "The caller's API tokens."},
    {"name": "users", "description": "Users of the organisation (organisation admins)."},
    {"name": "jobs", "description": "Background job runs: list, inspect, submit."},
    {"name": "costs", "description": "Costs in FOCUS: query, untagged share, export, import status and import now."},
    {"name": "inventory", "description": "Live Azure resources of your cloud accounts and their last sync."},
    {"name": "licences", "description": "Microsoft 365 licences: products, users, utilisation, waste, costs, sync."},
    {"name": "tags", "description": "Resources & Tags: tags per resource, bulk edits with a dry-run diff, pending "
     "changes, push to Azure, conflicts, audit log, coverage. Filters use one grammar: "
     "subscription=<id>,type=<type>,rg=<group>,location=<region>,name~<pattern>,tag:<key>=<value>,has:<key>,lacks:<key>."},
]

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The request cannot be carried out as it is (the message says why and what to do)"},
    401: {"model": ErrorOut, "description": "Not signed in, or the API token is unknown, revoked or expired"},
    403: {"model": ErrorOut, "description": "Not allowed (role too low, or CSRF token missing)"},
    404: {"model": ErrorOut, "description": "Does not exist, or not visible to the caller"},
    409: {"model": ErrorOut, "description": "Conflicts with what exists (already exists, connected or running)"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}

# Every router of the API; a new capability adds its module here.
API_ROUTERS: tuple[APIRouter, ...] = (
    me.router, workspaces.router, tokens.router, users.router, jobs.router, accounts.router, costs.router,
    inventory.router, licences.router, tags.router,
)

api_router = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
for router in API_ROUTERS:
    api_router.include_router(router)
