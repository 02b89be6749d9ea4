"""A worker's reply, as the trusted side reads it: what it may cost (reply_budget: how many
values a call's result may hold, decided from the call's inputs before the reply is read) and
the one schema of its fields (decode_reply: types, ranges, lengths; unknown fields refused).

Every reply is untrusted data: the worker runs student code, which can write anything into it.
The frames and the value encoding are grader.sandbox.protocol's, shared by both sides; this
module runs on the trusted side only.
"""
from __future__ import annotations

import numpy as np
import torch

from grader.sandbox.protocol import ProtocolError, decode


def size_of(value, cap=10**8) -> int:
    """How many values `value` holds: one per plain value, list, tuple or dict entry, and one
    per element of a tensor or array (stops counting at `cap`)."""
    count, stack = 0, [value]
    while stack and count < cap:
        x = stack.pop()
        count += 1
        if isinstance(x, (torch.Tensor, np.ndarray)):
            count += int(x.numel() if isinstance(x, torch.Tensor) else x.size)
        elif type(x) is int and 0 < x <= 100_000:
            count += x  # a count of steps or samples: that many values may come back
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
    return count


def reply_budget(args=(), kwargs=None) -> int:
    """How many values (list, tuple and dict entries, tensor and array elements) a call's
    result may hold: enough for any honest result of these inputs (a loss per step, a value per
    input, an N x N mistake), far less than what would cost the grader seconds or gigabytes to
    compare."""
    return 10_000 + 16 * size_of((args, kwargs or {}), cap=10**6)


# The one schema of a worker's reply: every field, its type and its bounds. Student code runs
# in the worker and can set any of them (sys.stdout is its own CappedStream object while it
# runs), so each is checked here, where replies are decoded, and nothing else is passed on.
WORKER_KINDS = ("not_started", "missing", "no_file", "import", "exception", "layout")
MAX_CHARS = 2**40          # characters a call may claim to have printed (a count, not a text)
_TEXT_FIELDS = {"message": 2000, "where": 400, "traceback": 3000, "type": 200, "stdout": 4000}


def decode_reply(header: bytes, payload: bytes, *, max_items: int) -> dict:
    """A worker's reply, decoded (see decode) and checked against the reply schema: a dict with
    `status` "ok" (and `value`) or "error" (`kind` one of WORKER_KINDS, `message`, `where`,
    `traceback`, `type`), `id` and `nonce` (the request's number and its random mark, which
    the caller compares), `stdout` (the first characters printed),
    `stdout_chars` (how many in all, at least len(stdout)), `seconds`, `notes` (up to 20 lines)
    `restart`, `ancestry` and `rebound`. Anything else, a wrong type or a value out of range is a ProtocolError."""
    try:
        reply = decode(header, payload, max_items=max_items, worker=True)
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a forged frame makes the reader do
        raise ProtocolError(f"malformed result ({type(exc).__name__})") from None
    if type(reply) is not dict:
        raise ProtocolError("the reply is not a result")
    unknown = set(reply) - {"status", "value", "id", "nonce", "kind", "seconds", "notes",
                            "restart", "stdout_chars", "ancestry", "rebound", *_TEXT_FIELDS}
    if unknown:
        raise ProtocolError(f"the reply has unknown fields ({', '.join(sorted(map(str, unknown))[:3])})")
    out = {"status": reply.get("status"), "id": reply.get("id"), "nonce": reply.get("nonce")}
    if out["status"] not in ("ok", "error"):
        raise ProtocolError("the reply is not a result")
    if type(out["id"]) is not int or not 0 < out["id"] < 2**62:
        raise ProtocolError("a reply to no request")
    if type(out["nonce"]) is not str or len(out["nonce"]) > 64:
        raise ProtocolError("a reply without its request's mark")
    for name, cap in _TEXT_FIELDS.items():
        value = reply.get(name, "")
        if type(value) is not str or len(value) > cap:
            raise ProtocolError(f"the reply's {name} is not text of at most {cap} characters")
        out[name] = value
    chars = reply.get("stdout_chars", 0)
    if type(chars) is not int or not 0 <= chars <= MAX_CHARS:
        raise ProtocolError("the reply's count of printed characters is out of range")
    out["stdout_chars"] = max(chars, len(out["stdout"]))
    seconds = reply.get("seconds", 0.0)
    if type(seconds) not in (int, float) or not 0 <= seconds <= 1e6:
        raise ProtocolError("the reply's time is out of range")
    out["seconds"] = float(seconds)
    notes = reply.get("notes", [])
    if type(notes) is not list or len(notes) > 20 or \
            not all(type(n) is str and len(n) <= 500 for n in notes):
        raise ProtocolError("the reply's notes are not up to 20 short lines")
    out["notes"] = notes
    if type(reply.get("restart", False)) is not bool:
        raise ProtocolError("the reply's restart is not a bool")
    out["restart"] = reply.get("restart", False)
    ancestry = reply.get("ancestry", [])
    if type(ancestry) is not list or len(ancestry) > 16 or \
            not all(type(a) is str and len(a) <= 64 for a in ancestry):
        raise ProtocolError("the reply's exception classes are not up to 16 short names")
    out["ancestry"] = ancestry
    rebound = reply.get("rebound", [])   # names a failed call rebound (worker._rebound_names)
    if type(rebound) is not list or len(rebound) > 16 or \
            not all(type(a) is str and len(a) <= 64 and a.isidentifier() for a in rebound):
        raise ProtocolError("the reply's rebound names are not up to 16 identifiers")
    out["rebound"] = rebound
    if out["status"] == "ok":
        out["value"] = reply.get("value")
    else:
        kind = reply.get("kind", "exception")
        if kind not in WORKER_KINDS:
            raise ProtocolError("the reply's kind of error is unknown")
        out["kind"] = kind
    return out
