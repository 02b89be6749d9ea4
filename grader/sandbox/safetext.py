"""Student text made safe, once, where it enters the trusted side.

Everything a submission brings is untrusted data: what it prints, its exception messages and
tracebacks, the strings it returns, its file and folder names, the cells of its notebooks. All
of it is passed through `clean` where it enters (grader.sandbox's replies, grader.engine.runner's
results, grader.classroom.run's notes; the gradebook cleans again before it writes), so that the
gradebook, the terminal, the JSON, the HTML and the CSV all get the same text:

- a lone surrogate (from a print, or from a file name that is not UTF-8) becomes U+FFFD;
- control characters that a terminal would act on are shown escaped, as text: ESC (so no CSI or
  OSC sequence reaches a terminal), the other C0 and C1 controls, a carriage return (it would
  draw over the line), the line and paragraph separators, and the bidi overrides and isolates
  (they reorder what is shown). Newline and tab stay, unless `lines=False`;
- the length is capped, with a visible "… (N more characters)".

    clean("boom" + ESC + "[2J" + lone surrogate + CR)  ->  boom\\x1b[2J\ufffd\\r (as text)

`clean` is idempotent: cleaning clean text changes nothing.
"""
from __future__ import annotations

import hashlib
import re

MESSAGE = 8000     # a check's message, an exception's message or traceback
OUTPUT = 2000      # what a submission printed (a sample of it)
LINE = 500         # one line: a note, a place in the code, a title
NAME = 200         # a student's name, a file name
VALUE = 64 * 1024  # a string a submission returned (as protocol.MAX_STR)

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
# what is escaped: C0 controls but tab and newline, DEL, C1 controls, the line and paragraph
# separators (str.splitlines splits on them), the bidi marks; and surrogates (replaced)
_MULTI = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}{_SURROGATES}]")
_SINGLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}{_SURROGATES}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}
_RESERVE = 40      # room left for the "… (N more characters)" at the end


def _escape(match) -> str:
    ch = match.group()
    if "\ud800" <= ch <= "\udfff":
        return "\ufffd"
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text, limit: int | None = MESSAGE, *, lines: bool = True) -> str:
    """`text` safe to show anywhere: see the module's docstring. `limit`: at most this many
    characters (None: no cap; at least 80 otherwise); `lines=False` also escapes newlines and
    tabs (for what must stay on one line: a name, a note)."""
    if type(text) is not str:
        text = "" if text is None else str(text)
    pattern = _MULTI if lines else _SINGLE
    if "\r\n" in text and lines:
        text = text.replace("\r\n", "\n")
    if limit is None:
        return pattern.sub(_escape, text)
    limit = max(int(limit), 2 * _RESERVE)
    head = pattern.sub(_escape, text[:limit])
    if len(text) <= limit and len(head) <= limit:
        return head
    room = limit - _RESERVE
    keep = room
    head = pattern.sub(_escape, text[:keep])
    while len(head) > room:     # escapes made it longer: show fewer characters
        keep -= max(1, (len(head) - room) // 6)
        head = pattern.sub(_escape, text[:keep])
    return f"{head}… ({len(text) - keep} more characters)"


def clean_value(value, limit: int | None = VALUE):
    """A value decoded from a worker's reply with every string in it cleaned (dict keys too,
    the text of RemoteObjects, the metadata of tensors). Containers are cleaned in place where
    they can be (the value is the grader's own fresh copy); tuples are rebuilt when a string in
    them changed."""
    return _walk(value, limit, 0)


_SCALARS = (int, float, bool, complex, type(None))


def _walk(x, limit, depth):
    t = type(x)
    if t is str:
        return clean(x, limit)
    if t in _SCALARS or depth > 64:
        return x
    if t is list:
        for i, v in enumerate(x):
            if type(v) not in _SCALARS:
                new = _walk(v, limit, depth + 1)
                if new is not v:
                    x[i] = new
        return x
    if t is tuple:
        items = [_walk(v, limit, depth + 1) for v in x]
        return x if all(a is b for a, b in zip(items, x)) else tuple(items)
    if t is dict:
        if any(type(k) is str and clean(k, LINE, lines=False) != k for k in x):
            items = [(clean(k, LINE, lines=False) if type(k) is str else k, v)
                     for k, v in x.items()]
            x.clear()
            x.update(items)
        for k, v in x.items():
            if type(v) not in _SCALARS:
                x[k] = _walk(v, limit, depth + 1)
        return x
    from grader.sandbox.protocol import RemoteObject, meta
    if t is RemoteObject:
        x.type_name = clean(x.type_name, NAME, lines=False)
        x.text = clean(x.text, LINE, lines=False)
        return x
    m = meta(x) if hasattr(x, "_remote_meta") else None
    while m is not None:  # a tensor: its device, class and grad_fn are the worker's words
        m.device = clean(m.device, NAME, lines=False)
        m.grad_fn = None if m.grad_fn is None else clean(m.grad_fn, NAME, lines=False)
        m.cls = None if m.cls is None else clean(m.cls, NAME, lines=False)
        m = meta(m.grad) if m.grad is not None else None
    return x


# the fields of a worker's reply that are text, and how much of each is kept
_REPLY_TEXT = {"message": (MESSAGE, True), "traceback": (MESSAGE, True),
               "stdout": (OUTPUT, True), "where": (LINE, False), "kind": (LINE, False),
               "type": (NAME, False)}


def clean_reply(reply):
    """A worker's reply with all of its text cleaned: the message, the place in the code, the
    traceback, what was printed, the notes, and every string inside the value."""
    if not isinstance(reply, dict):
        return reply
    for key, (limit, lines) in _REPLY_TEXT.items():
        if key in reply and reply[key] is not None:
            reply[key] = clean(reply[key], limit, lines=lines)
    notes = reply.get("notes")
    if isinstance(notes, list):
        reply["notes"] = [clean(n, LINE, lines=False) for n in notes[:20]]
    if "value" in reply:
        reply["value"] = clean_value(reply["value"])
    return reply


def short_hash(data) -> str:
    """8 hex digits of a digest of `data` (bytes, or text: its UTF-8, surrogates kept)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=4).hexdigest()
