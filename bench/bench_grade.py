"""How long grading takes: a table, not a timed test.

    python bench/bench_grade.py                 # the first four exercises, then all of them
    python bench/bench_grade.py --repeat 10

Rows:
  cold CLI             `python -m grader grade solutions --exercises ...` in a fresh process,
                       wall clock end to end (what an instructor waits for), median of 3
  start-up             in one process: start the zygote, import torch/pytest/the engine on the
                       trusted side (while the zygote imports its own), until both are ready
  first submission     the checks of the first submission (the worker forks, imports the
                       student module, the check modules load)
  next submissions     mean per submission of N more in a row on the same zygote (a batch)

Targets (2-core machine): one full grade of ex01-ex04 under 3 s wall; under 1 s per extra
submission in a batch; the whole twelve-exercise suite under 5 s per submission.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cold_cli(exercises: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", "solutions", "--exercises",
                    exercises, "--brief", "--seed", "1"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def in_process(exercises: list[str], repeat: int) -> dict:
    t0 = time.perf_counter()
    from grader.exercises import uses_optim
    from grader.sandbox import Zygote
    zygote = Zygote(warm_optim=uses_optim(exercises))
    from grader.engine.runner import grade_submission, prepare_trusted_side  # noqa: E402  (pytest)
    prepare_trusted_side(exercises)  # torch on the trusted side, as `grade` does
    zygote.wait_ready()
    t1 = time.perf_counter()
    first = grade_submission(ROOT / "solutions", zygote, exercises=exercises, seed=1)
    t2 = time.perf_counter()
    rest = []
    for i in range(repeat):
        s = time.perf_counter()
        r = grade_submission(ROOT / "solutions", zygote, exercises=exercises, seed=2 + i)
        rest.append(time.perf_counter() - s)
        assert r.score == r.max_score, "the references must score full marks"
    zygote.close()
    return {"startup": t1 - t0, "first": t2 - t1, "next": statistics.mean(rest),
            "checks": len([c for c in first.checks if c.counted]),
            "score": f"{first.score:g}/{first.max_score:g}"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=10)
    args = p.parse_args(argv)
    from grader.exercises import EXERCISES   # the exercise folders of grader/checks
    first = list(EXERCISES)[:4]
    sets = {f"{first[0]}-{first[-1]}": first, f"all {len(EXERCISES)}": list(EXERCISES)}
    available = {p.name[:4] for p in (ROOT / "solutions").glob("ex*.py")} & set(EXERCISES)
    print(f"{'exercises':<12} {'checks':>6} {'cold CLI':>9} {'start-up':>9} {'first sub':>9} "
          f"{'next subs':>10}  target")
    for label, exercises in sets.items():
        exercises = [e for e in exercises if e in available]
        if not exercises:
            continue
        cold = statistics.median(cold_cli(",".join(exercises)) for _ in range(3))
        # a fresh interpreter per set, so start-up is measured cold each time
        out = subprocess.run([sys.executable, __file__, "--_one", ",".join(exercises),
                              str(args.repeat)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        target = "< 3 s cold, < 1 s next" if label == next(iter(sets)) else "< 5 s per submission"
        print(f"{label:<12} {r['checks']:>6} {cold:>8.2f}s {r['startup']:>8.2f}s "
              f"{r['first']:>8.2f}s {r['next']:>9.2f}s  {target}")
    # The sandbox's cost: the same batch with every layer (auto) and with none of the optional
    # ones (basic: folder, environment, session, limits and timeouts only).
    exercises = sorted(available)
    print(f"\nsandbox overhead, all {len(exercises)} exercises, {args.repeat} submissions in a row")
    print(f"{'mode':<8} {'start-up':>9} {'per submission':>15}")
    runs = {"basic": [], "auto": []}
    for mode in ("basic", "auto") * 2:  # alternated, the best of two: other load shows less
        out = subprocess.run([sys.executable, __file__, "--_one", ",".join(exercises),
                              str(args.repeat)], capture_output=True, text=True, check=True,
                             env={**os.environ, "GRADER_SANDBOX": mode})
        runs[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    per = {}
    for mode, rs in runs.items():
        best = min(rs, key=lambda r: r["next"])
        per[mode] = best["next"]
        print(f"{mode:<8} {best['startup']:>8.2f}s {best['next']:>14.2f}s")
    print(f"overhead of the full sandbox: {100 * (per['auto'] / per['basic'] - 1):+.1f}% per "
          f"submission (target: under 10%)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--_one":
        print(json.dumps(in_process(sys.argv[2].split(","), int(sys.argv[3]))))
    else:
        sys.exit(main())
