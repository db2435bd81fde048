"""Use cases of tag governance: list resources with their tags, edit tags (one resource or
in bulk by a filter, always with a dry-run diff first), pending changes, revert, conflicts
and their resolution, the audit log.

Reading needs the account to be visible; editing needs the editor role in one of the
account's workspaces (organisation admins and the installation may always). Azure's tag
rules are checked before anything is queued: a refusal names the rule and the resources
and changes nothing. Edits on `tags-writeback` subscriptions become *pending* (written by
a push, `writeback`); elsewhere they stay in skytally (*local*).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.accounts.schemas import AccessLevel, AccountKind
from skytally.errors import InvalidInput, NotFound, PermissionDenied
from skytally.inventory import editing, filters, rules, tag_repo
from skytally.inventory.filters import Filter
from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import InventoryTag, TagState
from skytally.inventory.tag_schemas import (
    AuditOut,
    AuditPageOut,
    EditOp,
    EditPlanOut,
    FailureGroupOut,
    Resolution,
    ResourcePageOut,
    ResourceTagsOut,
    TagChangeOut,
    TagEdit,
    TagOut,
    TagRowOut,
)
from skytally.store.base import utcnow
from skytally.workspaces.schemas import Actor

SAMPLE = 200
EDITABLE_STATES = (TagState.PENDING.value, TagState.FAILED.value, TagState.CONFLICT.value, TagState.LOCAL.value)


def who(actor: Actor | None) -> str:
    return actor.email if actor is not None else "installation"


def visible_ids(session: Session, actor: Actor | None) -> list[int]:
    return [a.id for a in accounts.visible_accounts(session, accounts.visible_workspace_filter(actor))
            if a.kind == AccountKind.AZURE.value]


def may_edit_ids(session: Session, actor: Actor | None) -> list[int]:
    """Accounts whose tags (and sync, push) the actor may act on: what a page offers."""
    ids = visible_ids(session, actor)
    if actor is None or actor.is_admin:
        return ids
    return [i for i in ids if any(actor.can_edit(ws) for ws in accounts.workspace_ids_of(session, i))]


def editable_ids(session: Session, actor: Actor | None) -> list[int]:
    """Accounts whose tags the actor may edit; PermissionDenied when it sees some and may edit none."""
    mine = may_edit_ids(session, actor)
    if not mine and visible_ids(session, actor):
        raise PermissionDenied("editing tags needs the editor role in a workspace of the account; ask a workspace admin")
    return mine


def levels(session: Session, actor: Actor | None, account_ids: Sequence[int]) -> dict[tuple[int, str], str]:
    """(account, subscription) → access level, for accounts the caller sees."""
    return accounts.access_levels(session, account_ids)


def _sees_all(actor: Actor | None) -> bool:
    return actor is None or actor.is_admin


def read_scope(session: Session, actor: Actor | None) -> list[int] | None:
    """Account ids the caller may read, or None for every account (admins, the installation)."""
    return None if _sees_all(actor) else visible_ids(session, actor)


def edit_scope(session: Session, actor: Actor | None) -> list[int] | None:
    return None if _sees_all(actor) else editable_ids(session, actor)


# --- reading --------------------------------------------------------------------------------
def _tag_out(t: InventoryTag) -> TagOut:
    out = TagOut.model_validate(t)
    if t.state != TagState.FAILED.value:  # a class left from an earlier failure says nothing now
        out.reason_class = ""
    return out


def _resource_out(session: Session, r: InventoryResource, tags: dict[str, InventoryTag], level: str,
                  containers: bool = False) -> ResourceTagsOut:
    return ResourceTagsOut(
        account_id=r.account_id, subscription_id=r.subscription_id, resource_id=r.resource_id, name=r.name,
        type=r.type, resource_group=r.resource_group, location=r.location, taggable=rules.taggable(r.type),
        access_level=level, tags=[_tag_out(t) for t in sorted(tags.values(), key=lambda t: t.key_lower)],
        group_tags=tag_repo.container_tags(session, r.account_id, r.subscription_id, r.resource_group)
        if containers else None,
        subscription_tags=tag_repo.container_tags(session, r.account_id, r.subscription_id, "") if containers else None)


def list_resources(session: Session, actor: Actor | None, where: str = "", *, sort: str = "name",
                   descending: bool = False, limit: int = 50, offset: int = 0) -> ResourcePageOut:
    """One page of the resources a filter matches, with their tags."""
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput("limit must be between 1 and 1000 and offset 0 or more")
    if sort not in tag_repo.SORTS:
        raise InvalidInput(f"sort by one of {', '.join(tag_repo.SORTS)}, not {sort!r}")
    flt = filters.parse(where)
    ids = read_scope(session, actor)
    if ids == []:
        return ResourcePageOut(total=0, offset=offset, limit=limit, items=[])
    rows, total, exact = tag_repo.page(session, ids, flt, sort=sort, descending=descending, limit=limit,
                                       offset=offset)
    tags = tag_repo.tags_of(session, [r.id for r in rows])
    lv = levels(session, actor, sorted({r.account_id for r in rows}))
    return ResourcePageOut(total=total, total_exact=exact, offset=offset, limit=limit, items=[
        _resource_out(session, r, tags[r.id], lv.get((r.account_id, r.subscription_id), "resources")) for r in rows])


def resource(session: Session, actor: Actor | None, resource_id: str) -> tuple[ResourceTagsOut, list[AuditOut]]:
    """One resource with its tags, its group's and subscription's tags, and its tag history."""
    ids = read_scope(session, actor)
    rows, _, _ = tag_repo.page(session, ids, Filter(fields={"resource_id": [resource_id.strip().lower()]}), limit=1) \
        if ids != [] else ([], 0, True)
    if not rows:
        raise NotFound(f"resource {resource_id} is not in the inventory of your workspaces; run a sync or check the id")
    r = rows[0]
    level = levels(session, actor, [r.account_id]).get((r.account_id, r.subscription_id), "resources")
    history, _ = tag_repo.audit(session, [r.account_id], resource_id=r.resource_id, limit=200)
    return (_resource_out(session, r, tag_repo.tags_of(session, [r.id])[r.id], level, containers=True),
            [AuditOut.model_validate(a) for a in history])


def tag_rows(session: Session, actor: Actor | None, where: str = "", *, states: Sequence[str] = (
        TagState.PENDING.value, TagState.FAILED.value), key: str | None = None, limit: int = 1000,
        reason_class: str | None = None) -> list[TagRowOut]:
    """Tags in these states (pending changes by default; conflicts; local...) on matching
    resources; with `reason_class`, the failed changes of that class."""
    ids = read_scope(session, actor)
    if ids == []:
        return []
    return [TagRowOut(account_id=r.account_id, subscription_id=r.subscription_id, resource_id=r.resource_id,
                      name=r.name, type=r.type, tag=_tag_out(t))
            for t, r in tag_repo.tag_rows(session, ids, filters.parse(where), states, key, limit, reason_class)]


def failure_groups(session: Session, actor: Actor | None, where: str = "", *,
                   key: str | None = None) -> list[FailureGroupOut]:
    """Failed changes on matching resources grouped by reason class ("409 ScopeLocked: …"
    once for 300 locked resources), the largest group first."""
    ids = read_scope(session, actor)
    if ids == []:
        return []
    return [FailureGroupOut(reason_class=c, changes=n, resources=r, example=e)
            for c, n, r, e in tag_repo.failure_groups(session, ids, filters.parse(where), key)]


def state_counts(session: Session, actor: Actor | None) -> dict[str, int]:
    ids = visible_ids(session, actor)
    return tag_repo.count_states(session, ids) if ids else {}


def access_changed(session: Session, account_id: int, subscription_id: str, old: str, new: str) -> None:
    """A subscription's access level changed (registered with accounts by the runtime).

    Raised to `tags-writeback`: the local changes made at a lower level (state `local`) are
    pending right away, as the next sync would make them, instead of only after it: a
    wanted value equal to Azure's (as the last sync read it) is in sync, any other is
    pending. Azure is re-read before each write, so a key Azure changed meanwhile (or has
    although skytally never read it: from `resources`, no Azure tag was stored) becomes a
    conflict at the push, never an overwrite.
    Other changes wait for the next sync: raised to `tags`, Azure's tags are not known
    until it reads them; lowered below `tags-writeback`, pending changes stay as they are
    (nothing pushes them there)."""
    if new != AccessLevel.TAGS_WRITEBACK.value or old == new:
        return
    for row in tag_repo.subscription_tags(session, account_id, subscription_id, [TagState.LOCAL.value]):
        row.state = editing.state_of(row, writeback=True)
        row.reason = ""
    session.flush()


def audit(session: Session, actor: Actor | None, *, resource_id: str | None = None, key: str | None = None,
          by: str | None = None, result: str | None = None, limit: int = 200, offset: int = 0) -> AuditPageOut:
    ids = visible_ids(session, actor)
    if not ids:
        return AuditPageOut(total=0, items=[])
    rows, total = tag_repo.audit(session, ids, resource_id=resource_id, key=key, actor=by, result=result,
                                 limit=limit, offset=offset)
    return AuditPageOut(total=total, items=[AuditOut.model_validate(a) for a in rows])


AUDIT_COLUMNS = ["at", "actor", "pushed_by", "account_id", "subscription_id", "resource_id", "key", "before",
                 "after", "action", "result", "reason", "run_id"]


def audit_csv(page: AuditPageOut) -> str:
    """The audit entries as CSV (one row per entry, the columns of AUDIT_COLUMNS)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(AUDIT_COLUMNS)
    for a in page.items:
        row = a.model_dump()
        writer.writerow(["" if row[c] is None else (row[c].isoformat() if c == "at" else row[c]) for c in AUDIT_COLUMNS])
    return buf.getvalue()


# --- editing --------------------------------------------------------------------------------
def _check_edit(edit: TagEdit) -> None:
    if edit.op in (EditOp.SET, EditOp.SET_MISSING) and edit.value is None:
        raise InvalidInput(f"{edit.op.value} needs a value: write KEY=VALUE")
    if edit.op is EditOp.RENAME and not (edit.new_key or "").strip():
        raise InvalidInput("rename needs the new name (new_key)")
    new_names = [edit.new_key or edit.key] if edit.op in (EditOp.RENAME, EditOp.CANONICALISE) else \
        [edit.key] if edit.op in (EditOp.SET, EditOp.SET_MISSING) else []
    for name in new_names:
        problem = rules.name_problem(name)
        if problem:
            raise InvalidInput(f"Azure's tag rules refuse the name {name!r}: {problem}; nothing was queued")
    if edit.value is not None and rules.value_problem(edit.value):
        raise InvalidInput(f"Azure's tag rules refuse the value: {rules.value_problem(edit.value)}; nothing was queued")


def edit(session: Session, actor: Actor | None, edit: TagEdit, *, dry_run: bool = True) -> EditPlanOut:
    """Plan an edit over the matching resources: the diff, and unless `dry_run` the changes
    queued (pending / local) with an audit entry each. Nothing is queued if a rule refuses."""
    _check_edit(edit)
    flt = filters.parse(edit.where)
    ids = edit_scope(session, actor)
    if flt.empty and edit.op is not EditOp.CANONICALISE:
        raise InvalidInput("give a filter (--where) for a bulk edit, e.g. subscription=<id>; to edit every "
                           "resource on purpose write `taggable`")
    lv = levels(session, actor, ids if ids is not None else visible_ids(session, actor))
    refusals = rules.Refusals()
    skipped: Counter[str] = Counter()
    by_key: Counter[str] = Counter()
    sample: list[TagChangeOut] = []
    matched = changed = total = to_push = 0
    for chunk in tag_repo.iter_matching(session, ids, flt) if ids != [] else iter(()):
        tags = tag_repo.tags_of(session, [r.id for r in chunk])
        for res in chunk:
            matched += 1
            group = tag_repo.container_tags(session, res.account_id, res.subscription_id, res.resource_group) \
                if edit.op is EditOp.COPY_FROM_GROUP else None
            outcome = editing.plan(edit, res, tags[res.id], group)
            if isinstance(outcome, str):
                skipped[outcome] += 1
                continue
            if not outcome:
                continue
            after = editing.after_tags(tags[res.id], outcome)
            rules.check_resource(refusals, f"{res.name} ({res.resource_group})", res.type, after,
                                 [c.after_key for c in outcome if c.after_value is not None])
            changed += 1
            total += len(outcome)
            writeback = lv.get((res.account_id, res.subscription_id)) == AccessLevel.TAGS_WRITEBACK.value
            to_push += len(outcome) if writeback else 0
            for c in outcome:
                by_key[c.after_key] += 1
                if len(sample) < SAMPLE:
                    sample.append(TagChangeOut(resource_id=res.resource_id, name=res.name,
                                               subscription_id=res.subscription_id, key=c.after_key,
                                               before=c.before_value, after=c.after_value, before_key=c.before_key,
                                               after_key=c.after_key))
    if refusals:
        raise InvalidInput(refusals.message())
    if not dry_run and total:
        _apply(session, actor, edit, flt, ids, lv)
    return EditPlanOut(op=edit.op, where=flt.text, applied=not dry_run and total > 0, resources_matched=matched,
                       resources_changed=changed, changes=total, by_key=dict(by_key), to_push=to_push,
                       local_only=total - to_push, skipped=dict(skipped), sample=sample)


def _apply(session: Session, actor: Actor | None, edit: TagEdit, flt: Filter, ids: list[int] | None,
           lv: dict[tuple[int, str], str]) -> None:
    now = utcnow()
    source = "edit" if "resource_id" in flt.fields else f"bulk:{edit.op.value}"
    for chunk in tag_repo.iter_matching(session, ids, flt):
        tags = tag_repo.tags_of(session, [r.id for r in chunk])
        audit: list[dict[str, object]] = []
        doomed: list[int] = []
        for res in chunk:
            group = tag_repo.container_tags(session, res.account_id, res.subscription_id, res.resource_group) \
                if edit.op is EditOp.COPY_FROM_GROUP else None
            outcome = editing.plan(edit, res, tags[res.id], group)
            if isinstance(outcome, str):
                continue
            writeback = lv.get((res.account_id, res.subscription_id)) == AccessLevel.TAGS_WRITEBACK.value
            for c in outcome:
                row, delete = editing.record(c, writeback, who(actor), source, now)
                if delete:
                    if row is not None and row.id is not None:
                        doomed.append(row.id)
                elif row is not None and c.row is None:
                    session.add(row)
                audit.append({"at": now, "actor": who(actor), "account_id": res.account_id,
                              "subscription_id": res.subscription_id, "resource_id": res.resource_id,
                              "key": c.after_key, "before": c.before_value, "after": c.after_value,
                              "action": edit.op.value, "result": "queued" if writeback else "local",
                              "reason": editing.respelled(c.before_key, c.after_key)})
        session.flush()
        tag_repo.delete_tags(session, doomed)
        tag_repo.add_audit(session, audit)
        session.flush()


def revert(session: Session, actor: Actor | None, where: str = "", key: str | None = None) -> int:
    """Undo local changes (pending, failed, conflict or local) on matching resources: each
    key goes back to Azure's value at the last sync. Returns how many were reverted."""
    return _settle(session, actor, where, key, EDITABLE_STATES, "revert", keep_azure=True)


def resolve(session: Session, actor: Actor | None, resolution: Resolution, where: str = "",
            key: str | None = None) -> int:
    """Settle conflicts: keep Azure's value, or keep mine (pending again, pushed next)."""
    return _settle(session, actor, where, key, (TagState.CONFLICT.value,), "resolve",
                   keep_azure=resolution is Resolution.KEEP_AZURE)


def _settle(session: Session, actor: Actor | None, where: str, key: str | None, states: Sequence[str],
            action: str, *, keep_azure: bool) -> int:
    ids = edit_scope(session, actor)
    if ids == []:
        return 0
    now = utcnow()
    rows = tag_repo.tag_rows(session, ids, filters.parse(where), states, key)
    doomed: list[int] = []
    audit: list[dict[str, object]] = []
    for t, r in rows:
        before = t.local_value
        if keep_azure:
            if t.azure_key is None:
                doomed.append(t.id)
            else:
                t.local_key, t.local_value, t.state = t.azure_key, t.azure_value, TagState.IN_SYNC.value
        else:
            t.state = TagState.PENDING.value
        t.reason, t.set_by, t.set_at = "", who(actor), now
        audit.append({"at": now, "actor": who(actor), "account_id": r.account_id,
                      "subscription_id": r.subscription_id, "resource_id": r.resource_id, "key": t.local_key,
                      "before": before, "after": t.azure_value if keep_azure else before, "action": action,
                      "result": "reverted" if keep_azure else "queued"})
    session.flush()
    tag_repo.delete_tags(session, doomed)
    tag_repo.add_audit(session, audit)
    return len(rows)

