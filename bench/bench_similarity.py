"""Benchmark: the similarity report on synthetic classes of 50, 200 and 500 students.

    python bench/bench_similarity.py                       # 50, 200, 500 students, ex02
    python bench/bench_similarity.py --students 50,100 --exercises ex02,ex05

Pairwise comparison grows with the square of the class: 500 students are 124,750 pairs per
exercise. Each synthetic student fills in the stub of each exercise: every function that raises
NotImplementedError gets a body of 2 to 6 statements drawn at random (assignments, loops,
conditions over numpy and torch calls, names and numbers of its own), so that two students
share a little code by chance, as honest solutions do; every 20th student hands in a renamed
copy of another's. Each class size runs in a fresh process: `similarity` (reading the class
folder, fingerprinting, ranking) and the page, timed; its peak memory is the process's
(ru_maxrss, the interpreter and libraries included). Prints a table, and where the planted
copies ranked.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.exercises import module_of, parse_list  # noqa: E402

CALLS = ["np.mean", "np.sum", "float", "abs", "torch.as_tensor", "np.asarray", "len", "max",
         "min", "np.sqrt", "torch.exp", "round"]
OPS = ["+", "-", "*", "/", "**", "@"]


def _expr(rng: random.Random, names: list, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.3:
        return rng.choice(names) if rng.random() < 0.7 else str(rng.randint(0, 9))
    if roll < 0.6:
        return f"{_expr(rng, names, depth + 1)} {rng.choice(OPS)} {_expr(rng, names, depth + 1)}"
    if roll < 0.9:
        return f"{rng.choice(CALLS)}({_expr(rng, names, depth + 1)})"
    return f"[{_expr(rng, names, depth + 1)} for {names[0]} in {rng.choice(names)}]"


def body(rng: random.Random) -> list[str]:
    names = [f"v{rng.randint(0, 999)}" for _ in range(4)]
    lines = []
    for _ in range(rng.randint(2, 6)):
        kind = rng.random()
        if kind < 0.5:
            lines.append(f"{rng.choice(names)} = {_expr(rng, names)}")
        elif kind < 0.75:
            lines += [f"for {names[1]} in range({rng.randint(1, 20)}):",
                      f"    {rng.choice(names)} = {_expr(rng, names)}"]
        else:
            lines += [f"if {rng.choice(names)} > {_expr(rng, names)}:",
                      f"    {rng.choice(names)} {rng.choice(OPS)}= {_expr(rng, names)}"]
    lines.append(f"return {_expr(rng, names)}")
    return lines


def filled(stub: str, rng: random.Random) -> str:
    def fill(match):
        indent = match.group(1)
        return "\n".join(indent + line for line in body(rng))
    return re.sub(r"^( +)raise NotImplementedError\(.*\)$", fill, stub, flags=re.M)


def renamed(code: str) -> str:
    return re.sub(r"\bv(\d+)\b", lambda m: f"renamed_{m.group(1)}", code)


def make_class(folder: Path, students: int, exercises: list[str], seed: int = 0) -> dict:
    rng = random.Random(seed)
    stubs = {ex: (ROOT / "exercises" / f"{module_of(ex)}.py").read_text() for ex in exercises}
    planted = {}
    for i in range(students):
        name = f"s{i:04d}"
        (folder / name).mkdir(parents=True)
        for ex in exercises:
            if i % 20 == 19:
                source = f"s{i - 7:04d}"
                code = renamed((folder / source / f"{module_of(ex)}.py").read_text())
                planted[name] = source
            else:
                code = filled(stubs[ex], rng)
            (folder / name / f"{module_of(ex)}.py").write_text(code)
    return planted


def one_size(students: int, exercises: list[str]) -> dict:
    """Build a class, then time the report (run in its own process)."""
    from grader.classroom.similarity import similarity, write_report
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        folder = Path(tmp) / "class"
        planted = make_class(folder, students, exercises)
        top = max(10, len(planted))
        start = time.perf_counter()
        report = similarity(folder, exercises=exercises, top=top)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        page = write_report(report, Path(tmp) / "similarity.html")
        page_seconds = time.perf_counter() - start
        size = page.stat().st_size
        found = 0
        for pairs in report.exercises.values():
            ranked = [{p.a.student, p.b.student} for p in pairs[:len(planted)]]
            found += sum({copy, source} in ranked for copy, source in planted.items())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux
    return {"students": students, "pairs": students * (students - 1) // 2 * len(exercises),
            "seconds": seconds, "page_seconds": page_seconds, "page_kib": size / 1024,
            "peak_mib": peak, "planted": len(planted) * len(exercises), "found": found}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", default="50,200,500")
    p.add_argument("--exercises", default="ex02")
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    exercises = parse_list(args.exercises)
    if args.one is not None:
        print(json.dumps(one_size(args.one, exercises)))
        return 0
    print(f"similarity report, exercises {', '.join(exercises)}")
    print(f"{'students':>9} {'pairs':>9} {'report s':>9} {'page s':>7} {'page KiB':>9} "
          f"{'peak MiB':>9} {'copies first':>13}")
    for n in [int(s) for s in args.students.split(",")]:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--exercises",
                               args.exercises], capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{r['students']:>9} {r['pairs']:>9} {r['seconds']:>9.2f} "
              f"{r['page_seconds']:>7.2f} {r['page_kib']:>9.0f} {r['peak_mib']:>9.0f} "
              f"{r['found']:>6}/{r['planted']:<6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
