"""The reference results of a class run, computed once and shared by every grading process.

    blob = compute(request)      # once per class run: the checks run on the references
    load(blob)                   # in each grading process (or Dask worker): no reference
                                 # the checks ask for on the run's seed is computed again

Every grading process used to compute the same ~190 reference results (about 0.2 s) on its
first submission. `compute` runs the checks of the request, on the CPU, with the references
answering in place of a student (`TrustedSubmission`, in this trusted process: no worker, so
it runs while the workers' zygotes boot), which fills grader.engine.reference's cache;
the blob is that cache as plain frames. A reference the checks compute from a student's own values, or on
a GPU, is still computed where it is needed: the table is a cache, never an answer key.

The blob is inert: a header (the grader's scoring digest) and (key, frame) pairs whose frames
are only ever read by grader.sandbox.protocol.decode; a blob of another grader (other
references or checks) is ignored.
"""
from __future__ import annotations

import struct
from dataclasses import replace

MAGIC = b"TDRT1"
_ENTRY = struct.Struct("<16sI")
MAX_BLOB = 256 * 1024 * 1024


class TrustedSubmission:
    """The reference solutions in place of a submission, run here (they are trusted code):
    what `sub.call` and `sub.probe` return is `reference(...)`'s value, through the same
    encoder as a worker's reply. It exists to fill the reference cache."""

    modules: dict = {}
    notes: list = []
    stdout_chars, stdout_sample = 0, ""

    def call(self, target, *args, grad=None, timeout=None, **kwargs):
        from grader.engine.reference import reference
        return self._answer(reference, target, *args, grad=grad, **kwargs)

    def probe(self, name, module, *args, timeout=None, expect=None, **kwargs):
        from grader.engine.reference import reference_probe
        if expect:
            self._answer(reference_probe, "guard.expect", module, *expect)
        return self._answer(reference_probe, name, module, *args, **kwargs)

    def put_file(self, name, text):
        pass     # the references read their data by path: the check's own file

    def enter(self, phase):
        pass     # no worker: the references run here, in both phases

    @staticmethod
    def _answer(fn, *args, **kwargs):
        from grader.sandbox import StudentError
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a check's failure here costs nothing
            import builtins
            raise StudentError("exception", f"{type(exc).__name__}: {exc}", ancestry=[
                c.__name__ for c in type(exc).__mro__
                if getattr(builtins, c.__name__, None) is c]) from None


def version() -> str:
    """A digest of everything that decides a reference result or what the checks ask for
    (grader.engine.version.SCORING; unlike grader_version, never overridden)."""
    from grader.engine.version import scoring_digest
    return scoring_digest()


def compute(request) -> bytes:
    """Run the checks of `request` (its seed) on the references, on the CPU, and return the
    reference results they computed as a blob (b"" for a class graded on the GPU only)."""
    from grader.engine import session as collected
    from grader.engine import reference
    from grader.engine.runner import prepare_trusted_side, request_args, run_pytest
    if request.device == "cuda":
        return b""
    prepare_trusted_side(request.exercises)
    on_cpu = replace(request, device="cpu")
    try:
        with reference.recording() as asked:
            run_pytest(TrustedSubmission(), on_cpu)
    finally:
        if request.device != "cpu" and request_args(on_cpu):   # not needed again
            collected.forget(request_args(on_cpu), on_cpu)
    return dump(reference.table(asked))


def dump(entries: dict[bytes, bytes]) -> bytes:
    head = version().encode()
    out = [MAGIC, struct.pack("<H", len(head)), head]
    for key, frame in entries.items():
        out += [_ENTRY.pack(key, len(frame)), frame]
    return b"".join(out)


def parse(blob: bytes) -> dict[bytes, bytes]:
    """The entries of a blob; {} for an empty one or one of another grader. Raises ValueError
    for a malformed one."""
    if not blob:
        return {}
    if len(blob) > MAX_BLOB or not blob.startswith(MAGIC):
        raise ValueError("not a reference table")
    at = len(MAGIC)
    (n,) = struct.unpack_from("<H", blob, at)
    head = blob[at + 2:at + 2 + n]
    if head != version().encode():
        return {}
    at += 2 + n
    entries = {}
    while at < len(blob):
        if at + _ENTRY.size > len(blob):
            raise ValueError("a truncated reference table")
        key, size = _ENTRY.unpack_from(blob, at)
        at += _ENTRY.size
        if at + size > len(blob):
            raise ValueError("a truncated reference table")
        entries[key] = blob[at:at + size]
        at += size
    return entries


def load(blob: bytes) -> int:
    """Add a blob's results to this process's reference cache; how many it held."""
    from grader.engine import reference
    entries = parse(blob)
    reference.preload(entries)
    return len(entries)
