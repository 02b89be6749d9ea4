"""Benchmark: grade the same class of notebooks with `grade-class` and with `nbgrader autograde`.

    python bench/bench_class.py                        # 20 students, every exercise
    python bench/bench_class.py --exercises ex01,ex02  # a quicker run
    python bench/bench_class.py --skip-nbgrader        # grade-class only
    python bench/bench_class.py --skip-nbgrader --cluster   # and on a Dask LocalCluster
    python bench/bench_class.py --students 100 --jobs 2 --skip-nbgrader --before c7b5009 \
        --repeat 3                                     # before/after: another revision too

Builds a temporary nbgrader course from source_notebooks/ (`nbgrader generate_assignment`, not
timed) and hands in 20 submissions in submitted/STUDENT/ASSIGNMENT/, cycling through five kinds:
the references, the released notebooks (untouched), the references with one classic mistake
planted in every exercise (two different ones), and half of the exercises done. Then it times

  grade-class   python -m grader grade-class COURSE --jobs N   (N grading processes)
  nbgrader      nbgrader autograde "*"                         (one kernel per notebook)
  --cluster     python -m grader grade-class COURSE --cluster ADDRESS, on a Dask LocalCluster
                of N worker processes started here for each run (its start-up not timed, its
                workers start cold, as grade-class's processes do): the cost of the
                cluster against N local grading processes (docs/cluster.md)
  --before REV  grade-class of the grader at git revision REV (exported to a temporary
                folder), on the same class: the before/after of a change
  --repeat R    every row R times, interleaved; the table shows the fastest and the median
                (other work on the machine only ever slows a run down)

end to end, each in a fresh process, and prints the wall time, the CPU time of all the processes
involved, how many cores that kept busy, and the ratio. Both graders run the same checks (the
notebooks' check cells call the grader); nbgrader scores a check cell all or nothing, so its
totals differ from grade-class's per-check points, but the ranking of the kinds is the same.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.instructor import demo  # noqa: E402
from grader.exercises import module_of, parse_list  # noqa: E402

KINDS = ["reference", "released", "mistake A", "mistake B", "half done"]


def env_for_tools() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get(
        "PYTHONPATH", "").split(os.pathsep) if p])
    # nbgrader's python3 kernel runs `python`: make it this interpreter (torch, the grader)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    try:   # nbgrader_config.py names the sandboxed kernel: installed in a folder of our own
        from grader.instructor.nbkernel import install
    except ImportError:
        return env
    try:
        prefix = tempfile.mkdtemp(prefix="bench-kernel-")
        install(prefix=prefix)
    except ImportError:    # no Jupyter here: --skip-nbgrader only
        return env
    env["JUPYTER_PATH"] = os.pathsep.join([os.path.join(prefix, "share", "jupyter")] + [
        p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    return env


def _busy_jiffies():
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat (None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def timed(cmd, cwd, env):
    """(wall seconds, CPU seconds of the command and the processes it waited for, cores the
    whole machine kept busy meanwhile, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    jiffies = _busy_jiffies()
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    busy = float("nan")
    if jiffies:
        b, t = _busy_jiffies()
        busy = (b - jiffies[0]) / max(1, t - jiffies[1]) * (os.cpu_count() or 1)
    if proc.returncode != 0:
        sys.exit(f"{cmd[2:4]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return wall, cpu, busy, proc


def make_course(course: Path, exercises, students: int, env) -> list[str]:
    course.mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for ex in exercises:
        name = module_of(ex)
        (course / "source_notebooks" / name).mkdir(parents=True)
        shutil.copyfile(ROOT / "source_notebooks" / name / f"{name}.ipynb",
                        course / "source_notebooks" / name / f"{name}.ipynb")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "*",
                    "--log-level=ERROR"], cwd=course, env=env, check=True,
                   capture_output=True)
    names = []
    for i in range(students):
        student, kind = f"s{i + 1:02d}", KINDS[i % len(KINDS)]
        names.append(student)
        for j, ex in enumerate(exercises):
            name = module_of(ex)
            source = course / "source_notebooks" / name / f"{name}.ipynb"
            released = course / "release" / name / f"{name}.ipynb"
            nb = json.loads((released if kind == "released" or
                             (kind == "half done" and j >= (len(exercises) + 1) // 2)
                             else source).read_text())
            if kind.startswith("mistake"):
                demo.plant_in_notebook(nb, ex, 0 if kind == "mistake A" else 1)
            folder = course / "submitted" / student / name
            folder.mkdir(parents=True)
            (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
    return names


def nbgrader_totals(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.id: sum(gb.find_submission(a.name, s.id).score for a in gb.assignments)
                for s in gb.students}


def export_revision(rev: str, into: Path) -> Path:
    """The tree of git revision `rev` of this checkout, written to `into`."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=20)
    p.add_argument("--exercises", default=None, help="e.g. ex01,ex02 (default: all)")
    p.add_argument("--jobs", type=int, default=None, help="grade-class processes (default: "
                                                          "one per core)")
    p.add_argument("--skip-nbgrader", action="store_true", help="time grade-class only")
    p.add_argument("--cluster", action="store_true", help="also grade on a Dask LocalCluster "
                                                          "of --jobs worker processes")
    p.add_argument("--before", default=None, metavar="REV", help="also time grade-class of "
                                                                 "git revision REV")
    p.add_argument("--repeat", type=int, default=1, help="time every row this many times")
    p.add_argument("--keep", default=None, metavar="DIR", help="build the course in DIR and "
                                                               "keep it")
    args = p.parse_args(argv)
    exercises = demo.available(parse_list(args.exercises))
    from grader.classroom.run import default_jobs
    jobs = args.jobs or default_jobs()
    env = env_for_tools()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-class-"))
    course = tmp / "course"
    if course.exists():
        shutil.rmtree(course)
    try:
        students = make_course(course, exercises, args.students, env)
        n = len(students)
        print(f"{n} submissions x {len(exercises)} notebooks ({', '.join(exercises)}), "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

        def grade_class(name, root, db, *extra):
            """One timed grade-class run of the grader in `root`."""
            run_env = dict(env, PYTHONPATH=os.pathsep.join(
                [str(root)] + [q for q in env["PYTHONPATH"].split(os.pathsep)
                               if q and q != str(ROOT)]))
            if db.exists():
                db.unlink()
            wall, cpu, busy, out = timed(
                [sys.executable, "-m", "grader", "grade-class", str(course / "submitted"),
                 "--db", str(db), "--exercises", ",".join(exercises), "--no-progress",
                 *extra], root, run_env)
            print(f"  {name}: {out.stdout.strip().splitlines()[0]}")
            return wall, cpu, busy

        rows = {}       # row name -> (processes, [(wall, cpu, busy), ...])
        trees = [("grade-class", ROOT)]
        if args.before:
            trees.insert(0, (f"grade-class @{args.before}",
                             export_revision(args.before, tmp / "before")))
        for r in range(args.repeat):
            for name, root in trees:
                rows.setdefault(name, (jobs, []))[1].append(grade_class(
                    name, root, tmp / "grade-class.db", "--jobs", str(jobs)))
                if args.cluster and root == ROOT:   # a fresh cluster each time: its workers
                    from distributed import LocalCluster     # start cold, as grade-class's
                    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cluster:
                        rows.setdefault("grade-class --cluster", (jobs, []))[1].append(
                            grade_class("--cluster", root, tmp / "cluster.db", "--cluster",
                                        cluster.scheduler_address))

        if not args.skip_nbgrader:
            for _ in range(args.repeat):
                rows.setdefault("nbgrader autograde", (1, []))[1].append(timed(
                    [sys.executable, "-m", "nbgrader", "autograde", "*", "--log-level=ERROR"],
                    course, env)[:3])

        def best(name):
            return min(rows[name][1])[0]

        print()
        runs = f" (fastest / median of {args.repeat})" if args.repeat > 1 else ""
        print(f"| {'grader':<28} | {'processes':>9} | {'wall s':>13} | {'s / submission':>14} "
              f"| {'CPU s':>7} | {'cores busy':>10} | {'machine busy':>12} |")
        print(f"|{'-' * 30}|{'-' * 11}|{'-' * 15}|{'-' * 16}|{'-' * 9}|{'-' * 12}|{'-' * 14}|")
        for name, (procs, timings) in rows.items():
            wall, cpu, busy = min(timings)
            median = statistics.median(t[0] for t in timings)
            shown = f"{wall:.1f}" + (f" / {median:.1f}" if len(timings) > 1 else "")
            print(f"| {name:<28} | {procs:>9} | {shown:>13} | {wall / n:>14.3f} | {cpu:>7.1f} "
                  f"| {cpu / wall:>10.2f} | {busy:>12.2f} |")
        print(f"\nwall s{runs}; s / submission: the fastest wall time / {n}, start-up included "
              f"(amortised); CPU s: the processes each grader started and waited for "
              f"(nbgrader's kernels' own children may escape it); cores busy: CPU s / wall s; "
              f"machine busy: cores busy on the whole machine meanwhile, other work included "
              f"(load average now {os.getloadavg()[0]:.1f}).")
        if args.before:
            before, after = best(trees[0][0]), best("grade-class")
            print(f"\nbefore/after: {before / n:.3f} -> {after / n:.3f} s per submission "
                  f"({after / before:.2f}x the wall time of {args.before})")
        if args.cluster:
            print(f"cluster overhead: {100 * (best('grade-class --cluster') / best('grade-class') - 1):+.1f}% "
                  f"wall time against --jobs {jobs} (target: at most +10%)")
        if not args.skip_nbgrader:
            print(f"\nnbgrader autograde / grade-class: "
                  f"{best('nbgrader autograde') / best('grade-class'):.1f}x the wall time")
            from grader.classroom.gradebook import Gradebook
            with Gradebook(tmp / "grade-class.db") as book:
                ours = {name: total for name, _, total in book.table()[1]}
            theirs = nbgrader_totals(course)
            print("\ntotals per kind of submission (grade-class points / nbgrader points):")
            for i, kind in enumerate(KINDS[:n]):
                s = students[i]
                print(f"  {kind:<10} {s}: {ours.get(s, 0):g} / {theirs.get(s, 0):g}")
        else:
            print("\n(nbgrader autograde not timed: --skip-nbgrader)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
