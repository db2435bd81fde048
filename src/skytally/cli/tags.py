"""`skytally tags …` and `skytally resources …`: Resources & Tags from the command line,
with the same filter grammar as the web page and the API (`--where`), a dry-run diff for
every edit (`--dry-run`), and `--json` everywhere. The CLI runs as the installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from skytally.cli.common import JSON_HELP, console, print_json, print_table, runtime, session, when
from skytally.inventory import coverage as cov
from skytally.inventory import filters, tag_service
from skytally.inventory.tag_schemas import EditOp, EditPlanOut, Resolution, TagEdit

app = typer.Typer(help="Tags: bulk edits with a dry-run diff, pending changes, push to Azure, conflicts, audit.",
                  no_args_is_help=True)
resources_app = typer.Typer(help="Resources with their tags (Resources & Tags).", no_args_is_help=True)


@resources_app.callback()
def _resources() -> None:
    """Resources with their tags (Resources & Tags)."""  # a group, so that `resources list` stays a subcommand

WHERE_HELP = f"Filter: {filters.HELP}. Example: subscription=<id>,type=microsoft.compute/virtualmachines,lacks:costcenter"
Where = typer.Option("", "--where", "-w", help=WHERE_HELP)
DryRun = typer.Option(False, "--dry-run", help="Only show the diff (resources × keys, before → after); queue nothing.")
Json = typer.Option(False, "--json", help=JSON_HELP)


def _show_plan(plan: EditPlanOut, json_out: bool) -> None:
    if json_out:
        print_json(plan)
        return
    print_table(f"{'Queued' if plan.applied else 'Dry run'}: {plan.op.value} — {plan.changes:,} change(s) on "
                f"{plan.resources_changed:,} of {plan.resources_matched:,} matching resource(s)",
                ["Resource", "Subscription", "Key", "Before", "After"],
                [[c.name, c.subscription_id, c.key, "—" if c.before is None else f"{c.before_key}={c.before}",
                  "(removed)" if c.after is None else f"{c.after_key}={c.after}"] for c in plan.sample])
    if plan.changes > len(plan.sample):
        console.print(f"[dim]… {plan.changes - len(plan.sample):,} more change(s) not shown[/dim]")
    for reason, n in plan.skipped.items():
        console.print(f"[dim]{n:,} resource(s) left alone: {reason}[/dim]")
    if plan.applied:
        console.print(f"{plan.to_push:,} change(s) to push to Azure (`skytally tags push`), "
                      f"{plan.local_only:,} kept in skytally only (subscriptions not at tags-writeback)")
    elif plan.changes:
        console.print("[dim]nothing queued (dry run); run again without --dry-run to queue it[/dim]")


def _edit(edit: TagEdit, dry_run: bool, json_out: bool) -> None:
    with session() as s:
        plan = tag_service.edit(s, None, edit, dry_run=dry_run)
    _show_plan(plan, json_out)


def _pair(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise typer.BadParameter(f"write KEY=VALUE, not {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value


@app.command("set")
def set_(pair: str = typer.Argument(..., help="KEY=VALUE"), where: str = Where,
         only_missing: bool = typer.Option(False, "--only-missing", help="Only where the key is absent (a default)."),
         dry_run: bool = DryRun, json_out: bool = Json) -> None:
    """Set a tag on every matching resource (keeps an existing key's spelling)."""
    key, value = _pair(pair)
    _edit(TagEdit(op=EditOp.SET_MISSING if only_missing else EditOp.SET, where=where, key=key, value=value),
          dry_run, json_out)


@app.command("remove")
def remove(key: str = typer.Argument(..., help="Tag name (any casing)"), where: str = Where, dry_run: bool = DryRun,
           json_out: bool = Json) -> None:
    """Remove a tag from every matching resource."""
    _edit(TagEdit(op=EditOp.REMOVE, where=where, key=key), dry_run, json_out)


@app.command("rename")
def rename(old: str = typer.Argument(...), new: str = typer.Argument(...), where: str = Where,
           dry_run: bool = DryRun, json_out: bool = Json) -> None:
    """Rename a tag key, values kept (a resource that has both with different values is left alone)."""
    _edit(TagEdit(op=EditOp.RENAME, where=where, key=old, new_key=new), dry_run, json_out)


@app.command("canonicalise")
def canonicalise(spelling: str = typer.Argument(..., help="The spelling to keep, e.g. env (merges Env, ENV)"),
                 where: str = Where, dry_run: bool = DryRun, json_out: bool = Json) -> None:
    """Merge the casing variants of a key into one spelling, values kept (Azure: Delete then Merge)."""
    _edit(TagEdit(op=EditOp.CANONICALISE, where=where, key=spelling, new_key=spelling), dry_run, json_out)


@app.command("copy-from-group")
def copy_from_group(key: str = typer.Argument(...), where: str = Where,
                    only_missing: bool = typer.Option(False, "--only-missing"), dry_run: bool = DryRun,
                    json_out: bool = Json) -> None:
    """Copy each resource group's value of a tag down to its resources."""
    _edit(TagEdit(op=EditOp.COPY_FROM_GROUP, where=where, key=key, only_missing=only_missing), dry_run, json_out)


def _rows(states: tuple[str, ...], where: str, key: str | None, json_out: bool, title: str,
          reason_class: str | None = None) -> None:
    with session() as s:
        rows = tag_service.tag_rows(s, None, where, states=states, key=key, reason_class=reason_class)
    if json_out:
        print_json(rows)
        return
    print_table(title, ["Resource", "Subscription", "Key", "Azure", "Wanted", "State", "Reason", "Set by"],
                [[r.name, r.subscription_id, r.tag.local_key,
                  "—" if r.tag.azure_value is None else f"{r.tag.azure_key}={r.tag.azure_value}",
                  "(removed)" if r.tag.local_value is None else r.tag.local_value, r.tag.state,
                  r.tag.reason_class or r.tag.reason,
                  r.tag.set_by] for r in rows])


@app.command("pending")
def pending(where: str = Where, key: str | None = typer.Option(None, "--key"), json_out: bool = Json,
            by_reason: bool = typer.Option(False, "--by-reason", help="Failed changes grouped by reason class "
                                           "(Azure's code and a message naming no resource), with counts"),
            reason_class: str | None = typer.Option(None, "--reason-class",
                                                    help="Only the failed changes of this reason class")) -> None:
    """Changes not in Azure yet (pending, or failed with the reason)."""
    if not by_reason:
        _rows(("pending", "failed"), where, key, json_out, "Pending tag changes", reason_class)
        return
    with session() as s:
        groups = tag_service.failure_groups(s, None, where, key=key)
    if json_out:
        print_json(groups)
        return
    print_table("Failed tag changes by reason", ["Reason", "Changes", "Resources", "For example"],
                [[g.reason_class or "(no class recorded)", f"{g.changes:,}", f"{g.resources:,}", g.example]
                 for g in groups])


@app.command("conflicts")
def conflicts(where: str = Where, key: str | None = typer.Option(None, "--key"), json_out: bool = Json) -> None:
    """Keys Azure changed since they were edited here."""
    _rows(("conflict",), where, key, json_out, "Tag conflicts")


@app.command("revert")
def revert(where: str = Where, key: str | None = typer.Option(None, "--key"), json_out: bool = Json) -> None:
    """Undo local changes on matching resources (back to Azure's values at the last sync)."""
    with session() as s:
        n = tag_service.revert(s, None, where, key)
    print_json({"reverted": n}) if json_out else console.print(f"{n:,} change(s) reverted")


@app.command("resolve")
def resolve(resolution: Resolution = typer.Argument(..., help="keep-azure or keep-mine"), where: str = Where,
            key: str | None = typer.Option(None, "--key"), json_out: bool = Json) -> None:
    """Resolve conflicts: keep Azure's value, or keep yours (pushed next)."""
    with session() as s:
        n = tag_service.resolve(s, None, resolution, where, key)
    print_json({"resolved": n}) if json_out else console.print(f"{n:,} conflict(s) resolved ({resolution.value})")


@app.command("push")
def push_cmd(account: str = typer.Argument(..., help="Cloud account (id, name or tenant id)"),
             subscription: str | None = typer.Option(None, "--subscription", help="Only this subscription"),
             json_out: bool = Json) -> None:
    """Write the account's pending changes to Azure now (tags-writeback subscriptions), with progress."""
    from skytally.accounts import service as accounts
    from skytally.cli.inventory import _InThread
    from skytally.cli.jobs import _watch
    from skytally.inventory import push

    with session() as s:
        account_id = accounts.find_account(s, None, account).id
    dispatcher = _InThread()
    run, _new = push.start(runtime().db, dispatcher, None, account_id, subscription)
    final = _watch(run.id, quiet=json_out)
    if dispatcher.thread is not None:
        dispatcher.thread.join(timeout=5)
    if json_out:
        print_json(final)
        return
    result: dict[str, Any] = final.result or {}
    if result:
        print_table(f"Push: {result.get('applied', 0):,} applied, {result.get('already', 0):,} already in Azure, "
                    f"{result.get('failed', 0):,} failed, {result.get('conflicts', 0):,} conflict(s)",
                    ["Subscription", "Applied", "Failed", "Conflicts", "Writes", "Stopped", "Reasons"],
                    [[sid, r["applied"], r["failed"], r["conflicts"], r["writes"], r["stopped"],
                      "; ".join(f"{n}× {k}" for k, n in list(r["reasons"].items())[:3])
                      + (f"; … {len(r['reasons']) - 3} more (see `skytally tags pending`)" if len(r["reasons"]) > 3 else "")]
                     for sid, r in result.get("subscriptions", {}).items()])
    if final.status.value in ("failed", "interrupted"):
        raise typer.Exit(1)


@app.command("audit")
def audit(resource: str | None = typer.Option(None, "--resource"), key: str | None = typer.Option(None, "--key"),
          by: str | None = typer.Option(None, "--by", help="Who asked"), result: str | None = typer.Option(None),
          limit: int = typer.Option(200, min=1, max=100_000),
          csv_out: Path | None = typer.Option(None, "--csv", help="Write the entries to this CSV file"),
          json_out: bool = Json) -> None:
    """The audit log of tag changes (who, when, resource, key, before, after, result)."""
    with session() as s:
        page = tag_service.audit(s, None, resource_id=resource, key=key, by=by, result=result, limit=limit)
    if csv_out is not None:
        csv_out.write_text(tag_service.audit_csv(page))
        console.print(f"{len(page.items):,} entries written to {csv_out}")
        return
    if json_out:
        print_json(page)
        return
    print_table(f"Tag audit ({page.total:,} entries)", ["When", "Who", "Resource", "Key", "Before", "After", "Action",
                                                        "Result", "Reason"],
                [[when(a.at), a.actor, a.resource_id.rsplit("/", 1)[-1], a.key, a.before, a.after, a.action, a.result,
                  a.reason] for a in page.items])


@app.command("coverage")
def coverage(where: str = Where, workspace: int | None = typer.Option(None, "--workspace", help="Workspace id"),
             json_out: bool = Json) -> None:
    """Tag coverage: per key the share of resources (and of cost) carrying it in Azure, variants, top values;
    changes waiting for a push and failed pushes apart."""
    from skytally.web.tag_costs import cost_shares

    with session() as s:
        out = cov.coverage(s, None, where, workspace_id=workspace)
        shares = cost_shares(runtime().settings, s, None, [k.key for k in out.keys[:10]])
    for k in out.keys:
        k.cost_share = shares.get(k.key.lower())
    if json_out:
        print_json(out)
        return
    print_table(f"Tag coverage: {out.taggable:,} taggable resources ({out.untaggable:,} take no tags); counted as "
                "Azure has them, changes not pushed (pending) or whose push failed apart",
                ["Key", "Resources", "Share", "Cost share", "Pending", "Failed", "Variants", "Top values"],
                [[k.key, k.resources, f"{k.share:.1%}", "—" if k.cost_share is None else f"{k.cost_share:.1%}",
                  k.pending or "", k.failed or "", ", ".join(f"{v} ({n})" for v, n in k.variants.items()),
                  ", ".join(f"{v} ({n})" for v, n in k.top_values)] for k in out.keys])


@resources_app.command("list")
def list_resources(where: str = Where, sort: str = typer.Option("name", help="name, type, rg, location, subscription"),
                   desc: bool = typer.Option(False, "--desc"), limit: int = typer.Option(50, min=1, max=1000),
                   offset: int = typer.Option(0, min=0), json_out: bool = Json) -> None:
    """Resources with their tags, filtered and sorted."""
    with session() as s:
        page = tag_service.list_resources(s, None, where, sort=sort, descending=desc, limit=limit, offset=offset)
    if json_out:
        print_json(page)
        return
    print_table(f"Resources {offset + 1 if page.items else 0}–{offset + len(page.items)} of {'' if page.total_exact else 'more than '}{page.total:,}",
                ["Name", "Type", "Resource group", "Subscription", "Tags"],
                [[r.name, r.type, r.resource_group, r.subscription_id,
                  ", ".join(f"{t.local_key}={t.local_value}" + ("" if t.state == "in_sync" else f" [{t.state}]")
                            for t in r.tags if t.local_value is not None)] for r in page.items])
