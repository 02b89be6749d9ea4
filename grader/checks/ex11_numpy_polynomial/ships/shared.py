"""What the visible and the hidden checks of ex11 share: the count of recorded losses of short
runs, read as evidence of which steps were recorded."""
from grader.checks.api import fail
from grader.checks.ex11_numpy_polynomial.ships import mistakes as hints


def name_every_loss(runs, call: str) -> None:
    """`runs` {k: fit_numpy's result after k < 100 steps}: none of them records a loss (t % 100
    == 99 is never reached). When every run of k >= 1 steps holds exactly k losses, every step
    was recorded: say so, before a count that is off by one for k = 1 reads as a loop of one
    step too many."""
    counts = {}
    for k, got in runs.items():
        if not (isinstance(got, (tuple, list)) and len(got) == 2
                and isinstance(got[1], (tuple, list))):
            return
        counts[k] = len(got[1])
    several = [k for k in counts if k >= 1]
    if len(several) >= 2 and all(counts[k] == k for k in several):
        shown = ", ".join(f"{counts[k]} loss{'es' * (counts[k] != 1)} after {k} "
                          f"step{'s' * (k != 1)}" for k in sorted(counts))
        fail(f"{call} recorded {shown}; a run of fewer than 100 steps records none.",
             hints.EVERY_LOSS)
