"""The resource filter grammar, the same in the UI, the API and the CLI.

A filter is a comma-separated list of terms, all of which must hold; several terms on the
same field (`type=a,type=b`) mean either. Values may be quoted ("..." or '...') to hold a
comma. Fields are case-insensitive, and so are values except tag values (Azure's values are
case-sensitive):

    subscription=<id>   account=<id>   id=<resource id>   type=microsoft.compute/virtualmachines
    rg=<resource group>  location=westeurope   name~web-*  (glob; no wildcard: contains)
    tag:env=prod  (the key's wanted value)   has:env   lacks:costcenter
    state=pending|conflict|failed|local|in_sync  (a tag of the resource is in that state)
    taggable  (only resource types that take tags)

Example: `subscription=0b1f…,type=microsoft.compute/virtualmachines,tag:env=prod,lacks:costcenter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from skytally.errors import InvalidInput

FIELDS = {"subscription": "subscription_id", "sub": "subscription_id", "account": "account_id", "id": "resource_id",
          "type": "type", "rg": "resource_group", "resourcegroup": "resource_group", "location": "location"}
STATES = ("in_sync", "local", "pending", "conflict", "failed")
HELP = ("subscription=<id>, account=<id>, id=<resource id>, type=<type>, rg=<group>, location=<region>, name~<pattern>, "
        "tag:<key>=<value>, has:<key>, lacks:<key>, state=<tag state>, taggable")


@dataclass
class Filter:
    """A parsed filter. Lists hold alternatives (OR); the fields together are ANDed."""

    fields: dict[str, list[str]] = field(default_factory=dict)  # column → lower-case values
    names: list[str] = field(default_factory=list)  # glob patterns, lower case
    tags: list[tuple[str, str]] = field(default_factory=list)  # (key lower, exact value), ANDed
    has: list[str] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    taggable_only: bool = False
    text: str = ""

    @property
    def empty(self) -> bool:
        return not (self.fields or self.names or self.tags or self.has or self.lacks or self.states
                    or self.taggable_only)


def _split(text: str) -> list[str]:
    terms, buf, quote = [], [], ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            terms.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    if quote:
        raise InvalidInput(f"filter {text!r}: a quote ({quote}) is not closed")
    terms.append("".join(buf).strip())
    return [t for t in terms if t]


def parse(text: str | None) -> Filter:
    """Parse a filter; an unknown field or a malformed term is refused with the grammar."""
    out = Filter(text=(text or "").strip())
    for term in _split(out.text):
        low = term.lower()
        if low == "taggable":
            out.taggable_only = True
        elif low.startswith("has:") or low.startswith("lacks:"):
            kind, key = term.split(":", 1)
            if not key.strip():
                raise InvalidInput(f"filter term {term!r} names no tag key; write e.g. has:env")
            (out.has if kind.lower() == "has" else out.lacks).append(key.strip().lower())
        elif low.startswith("tag:"):
            body = term[4:]
            if "=" not in body or not body.split("=", 1)[0].strip():
                raise InvalidInput(f"filter term {term!r}: write tag:<key>=<value>, e.g. tag:env=prod")
            key, value = body.split("=", 1)
            out.tags.append((key.strip().lower(), value.strip()))
        elif "~" in term and (low.startswith("name~")):
            pattern = term.split("~", 1)[1].strip().lower()
            if not pattern:
                raise InvalidInput(f"filter term {term!r}: write name~<pattern>, e.g. name~web-*")
            out.names.append(pattern)
        elif "=" in term:
            name, value = (x.strip() for x in term.split("=", 1))
            key = name.lower()
            if key == "state":
                if value.lower() not in STATES:
                    raise InvalidInput(f"filter term {term!r}: the state is one of {', '.join(STATES)}")
                out.states.append(value.lower())
            elif key in FIELDS:
                if not value:
                    raise InvalidInput(f"filter term {term!r} has no value")
                out.fields.setdefault(FIELDS[key], []).append(value.lower())
            else:
                raise InvalidInput(f"filter field {name!r} is unknown; a filter is written {HELP}")
        else:
            raise InvalidInput(f"filter term {term!r} is not understood; a filter is written {HELP}")
    if "account_id" in out.fields:
        for v in out.fields["account_id"]:
            if not v.isdigit():
                raise InvalidInput(f"filter term account={v!r}: an account is given by its number")
    return out


def like_pattern(glob: str) -> str:
    """A SQL LIKE pattern (escape `\\`) for a name glob: `*`/`?` wildcards, else contains."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" in glob or "?" in glob:
        return escaped.replace("*", "%").replace("?", "_")
    return f"%{escaped}%"
