"""The Jobs list follows the header's workspace like every other page: a user scoped to a
workspace does not see the runs of accounts outside it; an admin with "All workspaces" sees
every run. The scope narrows what is shown, never what is allowed (a run's page still opens)."""

from __future__ import annotations

import re

import pytest

from httpkit import ADMIN, ERIN, World
from skytally.accounts import repo
from skytally.accounts.models import CloudAccount
from skytally.jobs.models import JobRun
from skytally.web.deps import SCOPE_COOKIE
from skytally.workspaces import service as ws_service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import MemberAdd


@pytest.fixture(scope="module")
def runs(world: World) -> dict[str, int]:
    out: dict[str, int] = {}
    with world.runtime.db.session() as s:
        ws_service.add_member(s, None, world.bravo, MemberAdd(email=ERIN, role=WorkspaceRole.VIEWER))
        for name, ws in (("alpha", world.alpha), ("bravo", world.bravo)):
            account = CloudAccount(kind="azure", name=f"Tenant {name}", tenant_id=f"00000000-0000-0000-0000-0000000{name[:5]}",
                                   connection="consent")
            s.add(account)
            s.flush()
            repo.set_workspaces(s, account.id, [ws])
            # submitted in Alpha, whatever the account: the account's workspaces decide
            run = JobRun(kind="inventory.sync", target=f"sync {name}", workspace_id=world.alpha,
                         params={"account_id": account.id}, status="succeeded")
            s.add(run)
            s.flush()
            out[name] = run.id
    return out


def _listed(world: World, email: str, scope: int | None) -> set[int]:
    client = world.fresh_client(email)
    if scope is not None:
        client.cookies.set(SCOPE_COOKIE, str(scope))
    page = client.get("/jobs")
    assert page.status_code == 200, page.text[:300]
    return {int(i) for i in re.findall(r'href="/jobs/(\d+)"', page.text)}


def test_a_member_scoped_to_a_workspace_sees_only_its_runs(world: World, runs: dict[str, int]) -> None:
    both = _listed(world, ERIN, None)
    assert {runs["alpha"], runs["bravo"]} <= both
    assert runs["bravo"] in _listed(world, ERIN, world.bravo)
    assert runs["alpha"] not in _listed(world, ERIN, world.bravo)
    in_alpha = _listed(world, ERIN, world.alpha)
    assert runs["alpha"] in in_alpha and runs["bravo"] not in in_alpha
    assert world.runs["bravo"] not in in_alpha  # a run of the workspace itself follows too


def test_an_admin_sees_all_with_all_workspaces_and_only_the_chosen_one_otherwise(
        world: World, runs: dict[str, int]) -> None:
    everything = _listed(world, ADMIN, None)
    assert {runs["alpha"], runs["bravo"], world.runs["system"], world.runs["bravo"]} <= everything
    bravo = _listed(world, ADMIN, world.bravo)
    assert runs["bravo"] in bravo and world.runs["bravo"] in bravo
    assert runs["alpha"] not in bravo and world.runs["alpha"] not in bravo and world.runs["system"] not in bravo


def test_the_scope_narrows_the_list_not_what_may_be_opened(world: World, runs: dict[str, int]) -> None:
    client = world.fresh_client(ERIN)
    client.cookies.set(SCOPE_COOKIE, str(world.bravo))
    assert client.get(f"/jobs/{runs['alpha']}").status_code == 200
