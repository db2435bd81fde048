"""Microsoft's error text, whole: never cut mid-word.

Entra ID's messages (`AADSTS7000215: Invalid client secret provided. Ensure the secret being
sent in the request is the client secret value, not the client secret ID, …`) are long and
come wrapped in SDK prefixes and followed by trace and correlation IDs. `readable()` keeps
Microsoft's sentence in full (from the AADSTS code, when there is one), drops the IDs and
timestamps that follow it, and joins lines; it shortens only past `limit` characters, and
then at a sentence or word boundary with an ellipsis.
"""

from __future__ import annotations

import re

_AADSTS = re.compile(r"AADSTS\d+:")
_TRAILER = re.compile(r"\s*(Trace ID:|Correlation ID:|Timestamp:|\r?\n\s*\r?\n).*", re.S)


def readable(text: str, limit: int = 2000) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    found = _AADSTS.search(text)
    if found:
        text = text[found.start():]
    text = _TRAILER.sub("", text)
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("; "))
    if end < limit // 2:
        end = cut.rfind(" ")
    return cut[: end + 1].rstrip() + " …"
