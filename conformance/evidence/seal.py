"""Sealing: one digest per stored run over everything it says, chained to the organisation's previous run.

Each outcome gets a digest over its fields and its evidence references (position, kind, summary,
content SHA-256, in order); the run's digest is taken over the run's header, its organisation and
place in the chain, the outcome digests in order, and the previous seal's digest. The seal keeps the
per-outcome digests too, so verification can say *which* outcome changed, went missing or moved,
not only that something did. A changed evidence byte shows as content that no longer matches its
SHA-256. Written by hand: it is a hash over a fixed canonical form (schema.canonical_json).
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from conformance.evidence.schema import canonical_json, plain

RUN_FIELDS = ("id", "started", "finished", "target", "ods_code", "harness_version", "suites", "summary", "status")
OUTCOME_FIELDS = ("position", "check_id", "suite", "group_name", "title", "status", "required", "message",
                  "duration_ms", "requirements", "capabilities", "metrics")
EVIDENCE_FIELDS = ("position", "kind", "summary", "sha256")


_dumps = functools.partial(json.dumps, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# json.dumps builds a new encoder (and its C state) on every call, which was most of the cost of
# the small values hashed here; this one is built once, with json.dumps's own C encoder and the
# canonical settings (sorted keys, no spaces, ASCII, no NaN). No circular check: the values are
# plain trees (schema.plain). None where the interpreter has no C encoder.
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_ENCODER: Any = (_c_make_encoder(None, _refuse, json.encoder.encode_basestring_ascii, None, ":", ",", True, False,
                                 False) if _c_make_encoder is not None else None)


def canonical(value: Any, *, made_plain: bool = False) -> bytes:
    """schema.canonical_json(value), the same bytes, faster (``made_plain``: the value is already plain,
    skip that walk); anything json refuses goes the long way, so the digest is always the verifier's."""
    return canonical_text(value, made_plain=made_plain).encode("ascii")


def canonical_text(value: Any, *, made_plain: bool = False) -> str:
    """:func:`canonical` as text (ASCII): pgwrite.py sends an outcome's sealed form as its row."""
    if not made_plain:
        value = plain_value(value)
    try:
        if _ENCODER is not None:
            return "".join(_ENCODER(value, 0))
        return str(_dumps(value))
    except (TypeError, ValueError):
        return canonical_json(value).decode("ascii")


_LEAVES = frozenset({str, int, bool, type(None)})


def plain_value(value: Any) -> Any:
    """schema.plain, the same result, without its isinstance chain for the exact types evidence is made
    of (it was the largest single cost of building a run's rows); anything else goes to plain itself."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in _LEAVES else plain_value(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _LEAVES else plain_value(v) for v in value]
    return plain(value)


def _sha(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def outcome_digest(outcome: dict[str, Any]) -> str:
    """``outcome``: OUTCOME_FIELDS plus ``evidence``, a list of EVIDENCE_FIELDS dicts."""
    return _sha({**{k: outcome[k] for k in OUTCOME_FIELDS},
                 "evidence": [{k: e[k] for k in EVIDENCE_FIELDS} for e in outcome["evidence"]]})


def run_digest(run: dict[str, Any], sequence: int, items: list[list[str]], previous_digest: str,
               sealed_at: str) -> str:
    """``items``: [check id, outcome digest] in outcome order. Only the run's header is made plain: the
    items hold no dict (the one thing the encoder writes differently from ``plain``, its keys), and what
    the encoder refuses goes the long way in :func:`canonical`; their walk was most of a seal's cost."""
    return hashlib.sha256(canonical({"run": plain_value({k: run[k] for k in RUN_FIELDS}), "sequence": sequence,
                                     "outcomes": items, "previous": previous_digest, "sealed_at": sealed_at},
                                    made_plain=True)).hexdigest()


def row_fields(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: getattr(row, k) for k in fields}


def outcome_dict(row: Any) -> dict[str, Any]:
    """An ORM outcome (evidence loaded) as the dict the digests are taken over."""
    return {**row_fields(row, OUTCOME_FIELDS), "evidence": [row_fields(e, EVIDENCE_FIELDS) for e in row.evidence]}


def items_of_rows(run: Any) -> list[list[str]]:
    return [[o.check_id, outcome_digest(outcome_dict(o))] for o in run.outcomes]
