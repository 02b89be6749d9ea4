"""Verbs for handing the course out: `release` (the student kit) and `gradescope` (an
autograder archive).

    python -m grader release kit/ --exercises ex01,ex02
    python -m grader gradescope autograder.zip --exercises ex01,ex02
"""
from __future__ import annotations

import sys


def add_verbs(verbs) -> dict:
    b = verbs.add_parser("build", help="regenerate exercises/, source_notebooks/ and the "
                                        "recorded values from solutions/")
    b.add_argument("--check", action="store_true", help="only report drift (exit 1 if any)")

    r = verbs.add_parser("release", help="write the student starter kit: stubs, notebooks, "
                                         "visible checks; no solutions, no hidden checks")
    r.add_argument("dest", help="a new (or empty) folder")
    r.add_argument("--exercises", default=None, help="e.g. ex01,ex02 (default: all)")
    r.add_argument("--no-notebooks", action="store_true",
                   help="leave out the notebooks (they need nbgrader)")

    g = verbs.add_parser("gradescope", help="write a Gradescope autograder archive (.zip)")
    g.add_argument("dest", help="e.g. autograder.zip")
    g.add_argument("--exercises", default=None,
                   help="the exercises this assignment grades, e.g. ex01,ex02 (default: all)")
    return {"build": cmd_build, "release": cmd_release, "gradescope": cmd_gradescope}


def _instructor_module(name):
    import importlib
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        print("error: this command is for instructors; it needs the full package (with "
              "solutions/), not the student kit", file=sys.stderr)
        return None


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


def cmd_release(args) -> int:
    from grader.exercises import parse_list
    release = _instructor_module("grader.instructor.release")
    if release is None:
        return 2
    exercises = parse_list(args.exercises) if args.exercises else None
    try:
        notes = release.release(args.dest, exercises, notebooks=not args.no_notebooks)
    except release.ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    chosen = release.released_exercises(exercises)
    print(f"wrote the starter kit to {args.dest}: {', '.join(chosen)}")
    for note in notes:
        print(f"note: {note}")
    print(f"try it: cd {args.dest} && python -m grader check")
    return 0


def cmd_gradescope(args) -> int:
    from grader.exercises import parse_list
    gradescope = _instructor_module("grader.instructor.gradescope")
    if gradescope is None:
        return 2
    if not args.dest.endswith(".zip"):
        print("error: the archive's name must end in .zip", file=sys.stderr)
        return 2
    exercises = parse_list(args.exercises) if args.exercises else None
    try:
        chosen = gradescope.build_archive(args.dest, exercises)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.dest}: grades {', '.join(chosen)}; upload it as the assignment's "
          f"autograder (Ubuntu base image)")
    return 0
