"""The audit chain's canonical form and hash, shared by appending and verifying.

An entry's canonical content is the JSON object
``{"actor": ..., "at": ..., "details": {...}, "event": ..., "seq": N}`` with
sorted keys, no whitespace and ASCII-only escapes (``json.dumps(obj,
sort_keys=True, separators=(",", ":"))``). ``at`` is UTC in the fixed format
``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The entry's hash is
``SHA-256(previous entry's hash ‖ canonical content)``; the first entry's
previous hash is 32 zero bytes. Anyone can re-check the chain with these
three lines and a JSON library.

The details are stored as their canonical JSON text, so the verifier builds
the canonical content by formatting strings instead of re-encoding objects:
that is what lets it check hundreds of thousands of entries per second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _quote  # type: ignore[attr-defined]
from typing import Any

GENESIS_HASH = bytes(32)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"an audit time must carry its time zone, got {moment!r}")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def canonical_details(details: Mapping[str, Any]) -> str:
    """Details as canonical JSON text (NaN and infinities are refused, not written)."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def canonical_content(seq: int, at: str, event: str, actor: str | None,
                      details_json: str) -> bytes:
    """The canonical JSON of one entry, given its details already in canonical form."""
    actor_json = "null" if actor is None else _quote(actor)
    return (f'{{"actor":{actor_json},"at":{_quote(at)},"details":{details_json},'
            f'"event":{_quote(event)},"seq":{seq}}}').encode("ascii")


def entry_hash(prev_hash: bytes, seq: int, at: str, event: str, actor: str | None,
               details_json: str) -> bytes:
    return hashlib.sha256(prev_hash + canonical_content(seq, at, event, actor,
                                                        details_json)).digest()
