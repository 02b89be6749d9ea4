"""What a worker may use: the wall-clock limits of a submission (Limits) and the rlimits its
worker process gets (DEFAULT_LIMITS, made to fit CUDA and shared uids by effective_rlimits).
grader.sandbox.inside.confine.apply_limits sets them in the worker."""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_LIMITS = {
    "RLIMIT_CPU": 120,                    # CPU seconds for the whole submission
    "RLIMIT_AS": 6 * 1024**3,             # address space on CPU-only runs; with CUDA the same
                                          # number becomes RLIMIT_DATA (see docs/security.md)
    "RLIMIT_FSIZE": 64 * 1024**2,         # largest file it may write (its prints included)
    "RLIMIT_NOFILE": 256,
    "RLIMIT_NPROC": 32,                   # processes + threads of the worker's own uid
    "RLIMIT_CORE": 0,
}
# Without a uid of its own, RLIMIT_NPROC counts every process of the grader's user: raise it.
SHARED_UID_NPROC = 512
# With CUDA, a worker runs more threads (the driver's, one autograd thread per GPU): at least.
CUDA_NPROC = 64


@dataclass
class Limits:
    call_seconds: float = 10.0        # wall-clock per call
    import_seconds: float = 20.0      # wall-clock for importing one module
    submission_seconds: float = 300.0  # wall-clock for everything of one submission
    result_bytes: int = 256 * 1024**2
    rlimits: dict = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    cuda_init_seconds: float = 30.0   # added to a worker's first call that uses the GPU
    scratch_bytes: int = 128 * 1024**2  # a worker's own /tmp, /dev/shm and folder, together


def effective_rlimits(limits: dict, *, cuda: bool, separate_uid: bool) -> dict:
    """The rlimits a worker gets: with CUDA, RLIMIT_AS (which breaks the CUDA driver's large
    virtual reservations) becomes RLIMIT_DATA, and RLIMIT_NPROC is at least CUDA_NPROC (the
    driver's threads count too); without a uid of its own, RLIMIT_NPROC is raised to
    SHARED_UID_NPROC (it then counts every process of the grader's user)."""
    out = dict(limits)
    if cuda and out.get("RLIMIT_AS") is not None:
        value = out.pop("RLIMIT_AS")
        out.setdefault("RLIMIT_DATA", value)
    if cuda and out.get("RLIMIT_NPROC") is not None:
        out["RLIMIT_NPROC"] = max(int(out["RLIMIT_NPROC"]), CUDA_NPROC)
    if not separate_uid and out.get("RLIMIT_NPROC") is not None:
        out["RLIMIT_NPROC"] = max(int(out["RLIMIT_NPROC"]), SHARED_UID_NPROC)
    return out


def pids_max(limits: dict, cuda: bool):
    """The size of a worker's own pids cgroup (it counts threads): RLIMIT_NPROC, at least
    CUDA_NPROC with CUDA."""
    value = limits.get("RLIMIT_NPROC")
    return max(int(value), CUDA_NPROC) if cuda and value is not None else value
