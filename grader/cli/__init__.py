"""The command line: `python -m grader VERB ...` (also installed as `torchdrills`).

    python -m grader check ex02                 # a student's visible checks, on exercises/
    python -m grader grade solutions/           # every check on one submission: a score table
    python -m grader grade alice/ --json results.json --exercises ex01,ex02
    python -m grader build --check              # fail if the generated files drifted

Each verb that grades parses its arguments into one grader.engine.request.GradeRequest, grades, and
renders the result. Bad input (an unknown exercise, an impossible request) is an error line and
exit code 2; anything else that goes wrong is a bug, and shows its traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from grader.exercises import UnknownExercise, parse_list
from grader.engine.request import DEVICES, BadRequest, GradeRequest

ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader",
                                description="Auto-graded PyTorch exercises.")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")

    b = verbs.add_parser("build", help="regenerate exercises/, source_notebooks/ and the "
                                        "recorded values from solutions/")
    b.add_argument("--check", action="store_true", help="only report drift (exit 1 if any)")

    c = verbs.add_parser("check", help="run the visible checks on your work")
    c.add_argument("exercise", nargs="?", default=None, help="e.g. ex02 (default: all)")
    c.add_argument("--submission", default=None,
                   help="folder with your exNN_*.py files (default: exercises/)")
    c.add_argument("--device", default="all", choices=DEVICES)

    g = verbs.add_parser("grade", help="all checks on one submission")
    g.add_argument("submission", help="a folder of exNN_*.py files or notebooks")
    g.add_argument("--exercises", default=None, help="e.g. ex02,ex03 (default: all)")
    g.add_argument("--device", default="all", choices=DEVICES)
    g.add_argument("--seed", type=int, default=None, help="seed of the hidden checks' inputs")
    g.add_argument("--json", default=None, metavar="PATH",
                   help="also write Gradescope's results.json schema to PATH")
    g.add_argument("--html", default=None, metavar="PATH", help="also write a feedback page")
    g.add_argument("--brief", action="store_true", help="one line per exercise")
    g.add_argument("--show-hidden", action="store_true",
                   help="also print the hidden checks' messages (for you, never for students: "
                        "they describe the hidden inputs)")

    handlers = {"build": cmd_build, "check": cmd_check, "grade": cmd_grade}
    for name in VERB_MODULES:
        handlers.update(importlib.import_module(name).add_verbs(verbs))
    p.set_defaults(_handlers=handlers)
    return p


# Modules that add more verbs: each has add_verbs(subparsers) -> {verb: handler(args) -> int}.
VERB_MODULES: tuple[str, ...] = ("grader.cli.classroom", "grader.cli.course",
                                  "grader.instructor.nbkernel")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = args._handlers[args.verb]
    try:
        return handler(args)
    except (UnknownExercise, BadRequest) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The program's entry point (`python -m grader`, `torchdrills`): main(), then a quick exit.

    With torch loaded, the interpreter's own teardown takes 0.3-0.5 s; everything that must
    happen at exit (atexit handlers: temporary folders, child processes) runs first, then the
    process leaves without the teardown."""
    import atexit
    import os
    os.environ["PYTHONSAFEPATH"] = "1"  # child Pythons (spawned graders, nbgrader) import
    code = main()                       # nothing from the current folder either
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_build(args) -> int:
    from grader.instructor.build import build
    changed = build(check=args.check)
    if args.check:
        if changed:
            print("generated files differ from what `python -m grader build` writes:")
            for c in changed:
                print(f"  {c}")
            return 1
        print("generated files are up to date")
        return 0
    print(f"wrote {len(changed)} file(s)" + "".join(f"\n  {c}" for c in changed))
    return 0


def check_request(args) -> GradeRequest:
    """`check`: the visible checks, on fixed inputs (seed 0), as students run them."""
    return GradeRequest(exercises=parse_list(args.exercise), checks="visible",
                        device=args.device, seed=0)


def grade_request(args) -> GradeRequest:
    """`grade`: every check of the exercises asked for."""
    return GradeRequest(exercises=parse_list(args.exercises), checks="all", device=args.device,
                        seed=args.seed)


def cmd_check(args) -> int:
    from grader.exercises import uses_optim
    from grader.sandbox import Zygote
    request = check_request(args)
    submission = args.submission or _default_submission()
    zygote = Zygote(warm_optim=uses_optim(request.exercises))  # first: it imports torch meanwhile
    from grader.engine.runner import grade_submission
    try:
        result = grade_submission(submission, zygote, request)
    finally:
        zygote.close()
    print(friendly(result))
    return 0 if result.score == result.max_score and result.max_score > 0 else 1


def _default_submission() -> str:
    here = Path.cwd() / "exercises"
    return str(here if here.is_dir() else ROOT / "exercises")


def friendly(result) -> str:
    """The student's view: what passes, what not yet, and why."""
    lines = []
    for ex in result.exercises:
        checks = [c for c in result.checks if c.exercise == ex and c.counted]
        if any(m.startswith(ex) for m in result.missing_files):
            lines.append(f"{ex}: no file found")
            continue
        if not checks:
            continue
        done = sum(c.status == "passed" for c in checks)
        if all(c.status == "not started" for c in checks):
            lines.append(f"{ex}: not started ({len(checks)} checks waiting)")
            continue
        lines.append(f"{ex}: {done} of {len(checks)} checks pass")
        for c in checks:
            if c.status == "passed":
                continue
            if c.status == "not started":
                lines.append(f"  - {c.label}: not started")
                continue
            lines.append(f"  x {c.label}")
            for m in c.message.splitlines()[:10]:
                lines.append(f"      {m}")
    total = sum(c.counted for c in result.checks)
    passed = sum(c.status == "passed" for c in result.checks)
    lines.append(f"{passed} of {total} visible checks pass."
                 + (" All done here: the graders also run hidden checks on other inputs."
                    if passed == total and total else ""))
    return "\n".join(lines)


def cmd_grade(args) -> int:
    from grader.exercises import uses_optim
    from grader.sandbox import Zygote
    path = Path(args.submission)
    if not path.exists():
        print(f"error: no such submission: {path}", file=sys.stderr)
        return 2
    request = grade_request(args)
    zygote = Zygote(warm_optim=uses_optim(request.exercises))  # first: it imports torch meanwhile
    from grader.engine.report import score_table, write_json
    from grader.engine.runner import grade_submission
    try:
        result = grade_submission(path, zygote, request)
        sandbox = zygote.summary()  # the isolation layers in force (docs/security.md)
        sandbox_warnings = zygote.warnings() + zygote.gpu_warnings()
    finally:
        zygote.close()
    from grader.sandbox.staging import printable
    result.submission = printable(result.submission)  # a name that is not UTF-8, escaped
    shown = result if args.show_hidden else result.for_students()   # the seed and the time
    print(f"grading {result.submission} ("                          # of the hidden checks are
          + (f"seed {result.seed}, " if args.show_hidden else "")   # for the instructor
          + f"{shown.seconds:.1f} s)")
    print(sandbox)
    from grader.sandbox.device import cuda_available
    if request.device == "cuda" and not cuda_available():
        sandbox_warnings.append("--device cuda, but CUDA is not available on this machine: "
                                "every cuda check was skipped, and only the checks without a "
                                "device ran (grade on a GPU machine, or use --device cpu)")
    for warning in sandbox_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(score_table(result, details=not args.brief, show_hidden_messages=args.show_hidden))
    if args.json:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    if args.html:
        from grader.classroom.feedback import write_page
        write_page(result, args.html)
        print(f"wrote {args.html}")
    return 0
