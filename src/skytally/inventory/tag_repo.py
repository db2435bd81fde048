"""SQL of the tag part of the inventory: resources matching a filter (listing, sorting,
paging), their tags, containers' tags, pending changes, the journal and the audit log.
Never commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    and_,
    any_,
    bindparam,
    delete,
    distinct,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from skytally.inventory import rules
from skytally.inventory.filters import Filter, like_pattern
from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import (
    InventoryContainer,
    InventoryTag,
    TagAudit,
    TagState,
    TagWrite,
    WriteStatus,
)

_CHUNK = 500
SORTS: dict[str, Any] = {
    "name": InventoryResource.name, "type": InventoryResource.type, "rg": InventoryResource.resource_group,
    "location": func.lower(InventoryResource.location),  # as it is filtered: one index serves both
         "subscription": InventoryResource.subscription_id, "last_seen": InventoryResource.last_seen}


COUNT_CAP = 1_000  # a page counts its matches up to this many; past it, "more than 1,000" (the bulk edit
# diff counts exactly). Counting to 10,000 cost 3x the page itself for has:/lacks: filters at 100k.


# A tag term that matches at most this many tag rows drives the query from the tags'
# index (`id IN (SELECT resource_pk ...)`: a few thousand rowid look-ups and a sort);
# a denser one is checked per resource while the sort index is walked (a correlated
# EXISTS on the unique (resource_pk, key_lower) index). Neither SQLite nor PostgreSQL
# can tell the two apart from their statistics (one average per key), so the repo counts,
# capped, on the index before choosing. Measured at 100k resources: bench/tags_list.py.
SEMI_JOIN_MAX = 15_000


def _is_sparse(session: Session | None, t: Any, where: list[ColumnElement[bool]]) -> bool:
    if session is None:
        return False
    capped = select(t.resource_pk).where(*where).limit(SEMI_JOIN_MAX + 1).subquery()  # covered by the indexes
    return (session.scalar(select(func.count()).select_from(capped)) or 0) <= SEMI_JOIN_MAX


def _with_tags(session: Session | None, *where: ColumnElement[bool], t: Any) -> Any:
    """The resource has a tag row where `where` holds (on alias `t`)."""
    if _is_sparse(session, t, list(where)):
        matching = select(t.resource_pk).where(*where)
        if session is not None and session.get_bind().dialect.name == "postgresql":
            # An IN (subquery) is a semi-join PostgreSQL may still run by walking the sort
            # index and probing each resource (49k probes for 2,000 pending at 100k); an
            # array computed once is an index condition on the primary key instead.
            return InventoryResource.id == any_(func.array(matching.scalar_subquery()))
        return InventoryResource.id.in_(matching)
    return exists(select(t.id).where(t.resource_pk == InventoryResource.id, *where))


def _tag_exists(session: Session | None, key: str, value: str | None = None) -> Any:
    """The resource carries the key (with this value)."""
    t = aliased(InventoryTag)  # an alias: queries that select tags too must not correlate with it
    where = [t.key_lower == key, t.local_value.is_not(None) if value is None else t.local_value == value]
    return _with_tags(session, *where, t=t)


def _lacks(session: Session | None, key: str, account_ids: Sequence[int] | None) -> Any:
    """The resource does not carry the key. Resources lacking a key are found by walking the
    sort index with a NOT EXISTS probe per resource: quick when many lack it (a page fills
    early), but a walk of every resource when few or none do (787 ms at 100k for a key every
    resource has, bench/tags_list.py). So when the key is on nearly every resource in scope
    (resources in scope − rows carrying the key ≤ SEMI_JOIN_MAX: two counts on covering
    indexes), the resources lacking it are listed first, capped, by an anti-join over the
    scope's index and the (key_lower, local_value, resource_pk) index, and the term becomes
    `id IN (those ids)`: none at all makes the page and its count free."""
    t = aliased(InventoryTag)
    carrying = [t.key_lower == key, t.local_value.is_not(None)]
    walk = ~exists(select(t.id).where(t.resource_pk == InventoryResource.id, *carrying))
    if session is None:
        return walk
    scope = [InventoryResource.account_id.in_(account_ids)] if account_ids is not None else []
    in_scope = session.scalar(select(func.count()).select_from(InventoryResource).where(*scope)) or 0
    carriers = session.scalar(select(func.count()).select_from(t).where(*carrying)) or 0
    if in_scope - carriers > SEMI_JOIN_MAX:  # at least that many lack it (carriers may be out of scope)
        return walk
    if account_ids is None and carriers >= in_scope:
        # every resource is in scope and carries the key at most once (unique resource, key), so
        # the counts are exact: none lacks it, and the anti-join (most of such a page's time) is moot
        return false()
    lacking = list(session.scalars(select(InventoryResource.id).where(
        *scope, InventoryResource.id.not_in(select(t.resource_pk).where(*carrying))).limit(SEMI_JOIN_MAX + 1)))
    if len(lacking) > SEMI_JOIN_MAX:
        return walk
    if not lacking:
        return false()  # every resource in scope carries it
    if session.get_bind().dialect.name == "postgresql":
        return InventoryResource.id == any_(bindparam(None, lacking, type_=ARRAY(Integer)))
    # inline integers: no bound variable per id (SQLite allows 32,766 in one statement)
    return InventoryResource.id.in_(bindparam(None, lacking, expanding=True, literal_execute=True))


def conditions(flt: Filter, account_ids: Sequence[int] | None, session: Session | None = None) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter over the resources of these accounts (None: every
    account, for callers who see them all: the database may then walk a sort index).
    With a session, tag and state terms take the shape that suits how many tags they match."""
    out: list[ColumnElement[bool]] = []
    if account_ids is not None:
        out.append(InventoryResource.account_id.in_(account_ids))
    for column, values in flt.fields.items():
        if column == "account_id":
            out.append(InventoryResource.account_id.in_([int(v) for v in values]))
        else:
            col = getattr(InventoryResource, column)
            col = col if column != "location" else func.lower(col)
            out.append(col == values[0] if len(values) == 1 else col.in_(values))  # `=`: the index gives the order
    if flt.names:
        out.append(or_(*(func.lower(InventoryResource.name).like(like_pattern(p), escape="\\") for p in flt.names)))
    for key, value in flt.tags:
        out.append(_tag_exists(session, key, value))
    for key in flt.has:
        out.append(_tag_exists(session, key))
    for key in flt.lacks:
        out.append(_lacks(session, key, account_ids))
    if flt.states:
        st = aliased(InventoryTag)
        out.append(_with_tags(session, st.state.in_(flt.states), t=st))
    if flt.taggable_only:
        out.append(InventoryResource.type.not_in(sorted(rules.UNTAGGABLE_TYPES)))
    return out


def page(session: Session, account_ids: Sequence[int] | None, flt: Filter, *, sort: str = "name", descending: bool = False,
         limit: int = 50, offset: int = 0) -> tuple[list[InventoryResource], int, bool]:
    """One page of matching resources, the number of matches and whether it is exact.
    Matches are counted up to `COUNT_CAP` (or the end of this page, if further): past it the
    count is that cap and not exact ("more than"). A short page needs no count at all."""
    where = conditions(flt, account_ids, session)
    col: Any = SORTS.get(sort, InventoryResource.name)
    first = col.desc() if descending else col.asc()
    tie = InventoryResource.id.desc() if descending else InventoryResource.id.asc()
    rows = list(session.scalars(select(InventoryResource).where(*where).order_by(first, tie).limit(limit).offset(offset)))
    if len(rows) < limit and (rows or offset == 0):
        return rows, offset + len(rows), True
    cap = max(COUNT_CAP, offset + limit)
    capped = select(InventoryResource.id).where(*where).limit(cap + 1).subquery()
    n = session.scalar(select(func.count()).select_from(capped)) or 0
    return rows, min(n, cap), n <= cap


def iter_matching(session: Session, account_ids: Sequence[int] | None, flt: Filter) -> Iterator[list[InventoryResource]]:
    """Every matching resource, in chunks (keyset paging on id)."""
    where = conditions(flt, account_ids, session)
    last = 0
    while True:
        chunk = list(session.scalars(select(InventoryResource).where(*where, InventoryResource.id > last)
                                     .order_by(InventoryResource.id).limit(_CHUNK)))
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id


def tags_of(session: Session, pks: Sequence[int]) -> dict[int, dict[str, InventoryTag]]:
    out: dict[int, dict[str, InventoryTag]] = {pk: {} for pk in pks}
    for start in range(0, len(pks), _CHUNK):
        for tag in session.scalars(select(InventoryTag).where(InventoryTag.resource_pk.in_(pks[start:start + _CHUNK]))):
            out[tag.resource_pk][tag.key_lower] = tag
    return out


def container_tags(session: Session, account_id: int, subscription_id: str,
                   resource_group: str) -> dict[str, str] | None:
    return session.scalar(select(InventoryContainer.tags).where(
        InventoryContainer.account_id == account_id, InventoryContainer.subscription_id == subscription_id,
        InventoryContainer.resource_group == resource_group.lower()))


def tag_rows(session: Session, account_ids: Sequence[int] | None, flt: Filter, states: Sequence[str],
             key: str | None = None, limit: int | None = None,
             reason_class: str | None = None) -> list[tuple[InventoryTag, InventoryResource]]:
    """Tags in these states on matching resources (pending changes, conflicts...); with
    `reason_class`, only the failed ones of that class."""
    stmt = (select(InventoryTag, InventoryResource).join(InventoryResource, InventoryResource.id == InventoryTag.resource_pk)
            .where(*conditions(flt, account_ids, session), InventoryTag.state.in_(states)))
    if key:
        stmt = stmt.where(InventoryTag.key_lower == key.lower())
    if reason_class is not None:
        stmt = stmt.where(InventoryTag.state == TagState.FAILED.value, InventoryTag.reason_class == reason_class)
    stmt = stmt.order_by(InventoryResource.subscription_id, InventoryResource.resource_id, InventoryTag.key_lower)
    if limit:
        stmt = stmt.limit(limit)
    return [(t, r) for t, r in session.execute(stmt)]


def subscription_tags(session: Session, account_id: int, subscription_id: str,
                      states: Sequence[str]) -> list[InventoryTag]:
    """The tags in these states on one subscription's resources."""
    return list(session.scalars(select(InventoryTag).join(InventoryResource, InventoryResource.id == InventoryTag.resource_pk)
                                .where(InventoryResource.account_id == account_id,
                                       InventoryResource.subscription_id == subscription_id.lower(),
                                       InventoryTag.state.in_(states))))


def failure_groups(session: Session, account_ids: Sequence[int] | None, flt: Filter,
                   key: str | None = None) -> list[tuple[str, int, int, str]]:
    """Failed changes on matching resources by reason class: (class, changes, resources,
    one resource's reason as an example), the largest group first."""
    stmt = (select(InventoryTag.reason_class, func.count(), func.count(distinct(InventoryTag.resource_pk)),
                   func.min(InventoryTag.reason))
            .join(InventoryResource, InventoryResource.id == InventoryTag.resource_pk)
            .where(*conditions(flt, account_ids), InventoryTag.state == TagState.FAILED.value))
    if key:
        stmt = stmt.where(InventoryTag.key_lower == key.lower())
    stmt = stmt.group_by(InventoryTag.reason_class).order_by(func.count().desc(), InventoryTag.reason_class)
    return [(str(c or ""), int(n), int(r), str(e or "")) for c, n, r, e in session.execute(stmt)]


def count_states(session: Session, account_ids: Sequence[int]) -> dict[str, int]:
    return {state: n for state, n in session.execute(
        select(InventoryTag.state, func.count()).join(InventoryResource, InventoryResource.id == InventoryTag.resource_pk)
        .where(InventoryResource.account_id.in_(account_ids)).group_by(InventoryTag.state))}


def delete_tags(session: Session, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), _CHUNK):
        session.execute(delete(InventoryTag).where(InventoryTag.id.in_(ids[start:start + _CHUNK])))


def add_audit(session: Session, entries: list[dict[str, Any]]) -> None:
    if entries:
        session.add_all(TagAudit(**e) for e in entries)


def audit(session: Session, account_ids: Sequence[int], *, resource_id: str | None = None, key: str | None = None,
          actor: str | None = None, result: str | None = None, since: datetime | None = None,
          limit: int = 200, offset: int = 0) -> tuple[list[TagAudit], int]:
    where: list[ColumnElement[bool]] = [TagAudit.account_id.in_(account_ids)]
    if resource_id:
        where.append(TagAudit.resource_id == resource_id.lower())
    if key:
        where.append(func.lower(TagAudit.key) == key.lower())
    if actor:
        where.append(TagAudit.actor == actor)
    if result:
        where.append(TagAudit.result == result)
    if since:
        where.append(TagAudit.at >= since)
    total = session.scalar(select(func.count()).select_from(TagAudit).where(and_(*where))) or 0
    rows = list(session.scalars(select(TagAudit).where(*where).order_by(TagAudit.id.desc()).limit(limit).offset(offset)))
    return rows, total


def push_candidates(session: Session, account_id: int, subscription_id: str) -> list[int]:
    """Resources of a subscription with changes to write (pending or failed) or a journalled
    write left open by a push that was killed."""
    pushed = (TagState.PENDING.value, TagState.FAILED.value)
    with_changes = select(InventoryResource.id).where(
        InventoryResource.account_id == account_id, InventoryResource.subscription_id == subscription_id,
        exists().where(InventoryTag.resource_pk == InventoryResource.id, InventoryTag.state.in_(pushed)))
    open_writes = select(TagWrite.resource_pk).where(
        TagWrite.account_id == account_id, TagWrite.subscription_id == subscription_id,
        TagWrite.status == WriteStatus.INTENT.value, TagWrite.resource_pk.is_not(None))
    ids = set(session.scalars(with_changes)) | {pk for pk in session.scalars(open_writes) if pk is not None}
    return sorted(ids)
