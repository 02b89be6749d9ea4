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
import importlib.util
import sys
from pathlib import Path

from grader.exercises import UnknownExercise, parse_list
from grader.engine.request import DEVICES, BadRequest, GradeRequest

ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader",
                                description="Auto-graded PyTorch exercises.")
    p.add_argument("--version", action=_Version, help="print the grader's version and exit")
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1,
                      default=0, help="results only: one line per exercise, no progress bar")
    loud.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                      help="more: every sandbox layer, the time taken, tracebacks of errors")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")

    c = verbs.add_parser("check", help="run the visible checks on your work")
    c.add_argument("exercise", nargs="*", default=None,
                   help="e.g. ex02, or ex01 ex02, or a file: exercises/ex02_gradient_descent.py "
                        "(default: all)")
    c.add_argument("--submission", default=None,
                   help="folder with your exNN_*.py files (default: exercises/)")
    c.add_argument("--device", default="all", choices=DEVICES)

    g = verbs.add_parser("grade", help="all checks on one submission")
    g.add_argument("submission", help="a folder of exNN_*.py files or notebooks")
    g.add_argument("--exercises", default=None, help="e.g. ex02,ex03 (default: all)")
    g.add_argument("--device", default="all", choices=DEVICES)
    g.add_argument("--json", default=None, metavar="PATH",
                   help="also write Gradescope's results.json schema to PATH")
    g.add_argument("--brief", action="store_true", help="one line per exercise")
    g.set_defaults(seed=None, show_hidden=False)
    if _present("grader.classroom"):   # not in a student's kit, which has no hidden checks
        g.add_argument("--html", default=None, metavar="PATH", help="also write a feedback page")
        g.add_argument("--seed", type=int, default=None,
                       help="seed of the hidden checks' inputs")
        g.add_argument("--show-hidden", action="store_true",
                       help="also print the hidden checks' messages (for you, never for "
                            "students: they describe the hidden inputs)")

    handlers = {"check": cmd_check, "grade": cmd_grade}
    for name in VERB_MODULES:
        if _present(name):   # a student's kit has check and grade only
            handlers.update(importlib.import_module(name).add_verbs(verbs))
    for verb in verbs.choices.values():   # -q / -v after the verb too: check -q
        loud = verb.add_mutually_exclusive_group()
        loud.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1,
                          default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        loud.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                          default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.set_defaults(_handlers=handlers)
    return p


# Modules that add more verbs: each has add_verbs(subparsers) -> {verb: handler(args) -> int}.
# They stay with the instructor (grader.instructor.release leaves them out of the kit).
VERB_MODULES: tuple[str, ...] = ("grader.cli.classroom", "grader.cli.course",
                                  "grader.instructor.nbkernel")


class _Version(argparse.Action):
    """`--version`: the grader's version (grader.engine.version: the package's, and a digest of
    what decides a score), read only when asked."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from grader.engine.version import grader_version
        print(f"torchdrills {grader_version()}")
        parser.exit()


def _present(module: str) -> bool:
    """Is `module` part of this copy of the grader? The instructor's rooms are not in a
    student's kit (a grader installed elsewhere on the machine does not count)."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:   # its package is not here either
        return False
    here = Path(__file__).resolve().parents[1]
    return spec is not None and spec.origin is not None \
        and Path(spec.origin).resolve().is_relative_to(here)


def main(argv: list[str] | None = None) -> int:
    """`python -m grader [-q | -v] VERB ...`: -q (quiet) keeps the results' own lines (a verb's
    brief form, no progress bar), -v (verbose) adds what is behind them."""
    args = _parser().parse_args(argv)
    handler = args._handlers[args.verb]
    _escape_what_the_terminal_cannot_show()
    if args.verbosity < 0:
        for quiet_form in ("no_progress", "brief"):   # the verbs' own switches, where they have
            if hasattr(args, quiet_form):             # them (grade --brief, grade-class
                setattr(args, quiet_form, True)       # --no-progress)
    try:
        return handler(args)
    except (UnknownExercise, BadRequest) as exc:
        return _error(exc, args)
    except RuntimeError as exc:
        from grader.sandbox import SandboxRefused, ZygoteDied
        if not isinstance(exc, (SandboxRefused, ZygoteDied)):
            raise
        return _error(exc, args)   # e.g. GRADER_SANDBOX=strict on a machine without every layer,
        # or the process that starts the workers ended (out of memory): its log says why
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _escape_what_the_terminal_cannot_show() -> None:
    """A character the output's encoding lacks (Windows' cp1252, in Git Bash or a redirect,
    has no ≈, → or −, which messages and students' exceptions hold) is written escaped
    (\\u2248), never a crash. UTF-8 output is left as it is."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _error(exc: Exception, args) -> int:
    """Bad input or a refusal: one line, exit 2 (with -v, its traceback first)."""
    if args.verbosity > 0:
        import traceback
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: {exc}", file=sys.stderr)
    return 2


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


def check_request(args) -> GradeRequest:
    """`check`: the visible checks, on fixed inputs (seed 0), as students run them."""
    return GradeRequest(exercises=_checked_exercises(args), checks="visible",
                        device=args.device, seed=0)


def _checked_exercises(args) -> list[str]:
    """The exercises `check` was given: names (ex02, 2, ex02_gradient_descent) or files
    (exercises/ex02_gradient_descent.py: its folder is then the submission, unless
    --submission says otherwise); none: every exercise."""
    from grader.sandbox.names import exercise_of
    names, folders = [], set()
    for item in args.exercise or []:
        path = Path(item)
        if path.suffix in (".py", ".ipynb") or len(path.parts) > 1:
            ex = exercise_of(path.name)
            if ex is None:
                raise UnknownExercise(f"{item!r} is no exercise's file (e.g. "
                                      f"exercises/ex02_gradient_descent.py)")
            names.append(ex)
            folders.add(str(path.parent))
        else:
            names += parse_list(item)
    if folders and args.submission is None:
        if len(folders) > 1:
            raise BadRequest(f"the files given lie in {len(folders)} folders: check one folder "
                             f"at a time (or give --submission)")
        args.submission = folders.pop()
    return list(dict.fromkeys(names)) or parse_list(None)


def grade_request(args) -> GradeRequest:
    """`grade`: every check of the exercises asked for."""
    return GradeRequest(exercises=parse_list(args.exercises), checks="all", device=args.device,
                        seed=args.seed)


def cmd_check(args) -> int:
    request = check_request(args)      # first: a file named decides the folder
    submission = Path(args.submission or _default_submission())
    if not submission.exists():
        print(f"error: no such folder: {submission}", file=sys.stderr)
        return 2
    from grader.sandbox.launcher import sandbox_missing
    why = sandbox_missing()
    if why and not _present("grader.instructor"):   # a student's own work, in the kit
        from grader.sandbox.plain import NOTE, grade_unsandboxed
        print(NOTE.format(why=why), file=sys.stderr)
        result, sandbox = grade_unsandboxed(submission, request), None
    else:                                   # elsewhere a machine without it refuses (exit 2)
        from grader.engine.runner import grade_once
        result, sandbox = grade_once(submission, request)
    from grader.engine.report import check_report
    report = check_report(result)
    if args.verbosity < 0:   # the lines of the exercises and the total, not the failures
        report = "\n".join(line for line in report.splitlines() if not line.startswith(" "))
    print(report)
    if args.verbosity > 0:
        passed = [f"  ok {c.label}" for c in result.checks if c.counted and c.status == "passed"]
        print("\n".join([f"passed ({len(passed)}):", *passed, f"{result.seconds:.1f} s; "
                         + (sandbox.summary() if sandbox else "not sandboxed")]))
    for warning in _device_warnings(request):
        print(f"warning: {warning}", file=sys.stderr)
    return 0 if result.score == result.max_score and result.max_score > 0 else 1


def _device_warnings(request: GradeRequest) -> list[str]:
    from grader.sandbox.device import cuda_available
    if request.device == "cuda" and not cuda_available():
        return ["--device cuda, but CUDA is not available on this machine: every cuda check "
                "was skipped, and only the checks without a device ran (grade on a GPU "
                "machine, or use --device cpu)"]
    return []


def _default_submission() -> str:
    here = Path.cwd() / "exercises"
    return str(here if here.is_dir() else ROOT / "exercises")


def cmd_grade(args) -> int:
    path = Path(args.submission)
    if not path.exists():
        print(f"error: no such submission: {path}", file=sys.stderr)
        return 2
    request = grade_request(args)
    from grader.engine.report import score_table, write_json
    from grader.engine.runner import grade_once
    result, zygote = grade_once(path, request)
    sandbox = zygote.summary()  # the isolation layers in force (docs/security.md)
    sandbox_warnings = zygote.warnings() + zygote.gpu_warnings()
    from grader.sandbox.staging import printable
    result.submission = printable(result.submission)  # a name that is not UTF-8, escaped
    shown = result if args.show_hidden else result.for_students()   # the seed and the time
    if args.verbosity >= 0:
        print(f"grading {result.submission} ("                      # of the hidden checks are
              + (f"seed {result.seed}, " if args.show_hidden else "")   # for the instructor
              + f"{shown.seconds:.1f} s)")
        print(zygote.describe() if args.verbosity > 0 else sandbox)
    sandbox_warnings += _device_warnings(request)
    for warning in sandbox_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(score_table(result, details=not args.brief, show_hidden_messages=args.show_hidden))
    if args.json:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    if getattr(args, "html", None):
        from grader.classroom.feedback import write_page
        write_page(result, args.html)
        print(f"wrote {args.html}")
    return 0
