"""Every text a GradeResult becomes, one per audience: the instructor's score table
(score_table), a student's `check` (check_report), a notebook's check cell (target_report),
Gradescope's results.json (gradescope_json). They show a failed check and an exercise not
started the same way (message_lines, not_started)."""
from __future__ import annotations

import json

from grader.exercises import EXERCISES
from grader.engine.result import NOT_COUNTED, GradeResult

MARK = {"passed": "ok  ", "failed": "FAIL", "not started": "todo", "error": "ERR ",
        "skipped": "skip", "not counted": "n/c ", "withheld": "held"}


SHOWN_LINES = 12   # of a failed check's message, wherever it is shown


def count(n, word: str, many: str | None = None) -> str:
    """A number and its noun, one or many: count(1, "check") -> "1 check",
    count(3, "check") -> "3 checks", count(0.5, "point") -> "0.5 points"."""
    return f"{n:g} {word if n == 1 else many or word + 's'}"


def not_started(checks) -> bool:
    """Do these checks all find the stub's own NotImplementedError (none written yet)?"""
    return bool(checks) and all(c.status == "not started" for c in checks)


def message_lines(check, indent: str) -> list[str]:
    """A failed check's message as shown: its first SHOWN_LINES lines, indented."""
    return [f"{indent}{m}" for m in (check.message or check.status).splitlines()[:SHOWN_LINES]]


def _title(ex: str) -> str:
    return EXERCISES[ex][5:].replace("_", " ")


def score_table(result: GradeResult, *, details=True, show_hidden_messages=False,
                width=100) -> str:
    """The terminal's score table. What a student may read (GradeResult.for_students) unless
    the instructor asks for the hidden checks' messages (`grade --show-hidden`)."""
    if not show_hidden_messages:
        result = result.for_students()
    lines = []
    per_ex = result.by_exercise()
    for ex in result.exercises:
        score, max_score = per_ex.get(ex, (0.0, 0.0))
        lines.append(f"{ex} {_title(ex):<26} {score:6.1f} / {max_score:<6.1f}")
        missing = f"{EXERCISES[ex]}.py"
        if missing in result.missing_files:
            lines.append(f"     no file {missing} (or .ipynb) in the submission: 0 points")
            continue
        if not details:
            continue
        checks = [c for c in result.checks if c.exercise == ex]
        if not_started([c for c in checks if c.counted]):
            lines.append("     not started")
            continue
        for c in checks:
            vis = "" if c.visible else " (hidden)"
            pts = f"{c.score:g}/{c.points:g}" if c.counted else "  -"
            head = f"  {MARK.get(c.status, c.status)} {pts:>6}  {c.label}{vis}"
            # the instructor's view (--show-hidden) is read in full; a student's keeps its width
            lines.append(head if show_hidden_messages else head[:width])
            if c.status in ("failed", "error", "not counted", "withheld") and c.message:
                lines.extend(m if show_hidden_messages else m[:width + 40]
                             for m in message_lines(c, " " * 11))
    lines.append(f"{'total':<31} {result.score:6.1f} / {result.max_score:<6.1f}")
    skipped = [c for c in result.checks if c.status == "skipped"]
    if skipped:
        reasons = sorted({c.message for c in skipped})
        lines.append(f"({count(len(skipped), 'check')} skipped: {'; '.join(reasons)})")
    for note in result.notes:   # e.g. a notebook cell that raised, skipped
        lines.append(f"note: {note}")
    lines.extend(review_lines(result))
    if result.stdout_chars:
        lines.append(f"(the submission printed {result.stdout_chars} characters while its "
                     f"visible checks ran)")
    for e in result.errors:
        lines.append(f"grader error: {e}")
    return "\n".join(lines)


def review_summary(result: GradeResult, visible_only: bool = False) -> str:
    """One sentence on what the instructor is asked to review ("" when nothing): the
    submission's source rewrites what measures it (result.tampering, from grader.engine.review), and
    the points that withheld (`visible_only`: of the visible checks, where the hidden ones'
    outcomes wait for publication, as in Gradescope's results.json)."""
    if not result.tampering:
        return ""
    held = sum(c.points for c in result.checks if c.status == "withheld"
               and (c.visible or not visible_only))
    rest, are = ("rests", "is") if held == 1 else ("rest", "are")
    return (f"a person reviews the source lines below (code the grader cannot tell apart "
            f"from work not done as asked, or from code reaching what grades it); "
            f"{count(held, 'point')} {'of visible checks ' if visible_only else ''}that {rest} "
            f"on facts measured in its own process {are} withheld until then"
            + (" (the hidden checks' are shown when grades are published)" if visible_only
               else ""))


def review_lines(result: GradeResult, visible_only: bool = False) -> list[str]:
    """The review summary and where in the source, one line each (none when nothing)."""
    if not result.tampering:
        return []
    more = len(result.tampering) - 20
    return [f"review: {review_summary(result, visible_only)}:"] + \
        [f"  {t}" for t in result.tampering[:20]] + ([f"  ... and {more} more"] if more > 0 else [])


def gradescope_json(result: GradeResult) -> dict:
    """Gradescope's results.json: execution_time, output, tests[] (name, score, max_score,
    output, visibility). Hidden checks are 'after_published' and say passed / not passed only
    (GradeResult.for_students: students read this file); skipped ones are left out. Nothing
    at the top level counts a hidden check: no total score (Gradescope sums the tests' own,
    each under its visibility) and an output that counts the visible checks only. A visible
    check not counted for what hidden checks found (result.count_visible_checks) reads as it
    passed, with its points, and an 'after_published' entry takes them back and says why:
    before publication no visible entry depends on a hidden check."""
    errors = list(result.errors)
    result = result.for_students()
    tests = []
    if errors:     # checks that could not be loaded: the total is not the whole grade
        tests.append({"name": "grader error", "score": 0, "max_score": 0,
                      "output": "The grader could not load some of its checks, so this result "
                                "is incomplete; your instructor sees why.",
                      "visibility": "visible"})
        tests.append({"name": "grader error: details", "score": 0, "max_score": 0,
                      "output": "\n".join(e[:2000] for e in errors[:20]),
                      "visibility": "hidden"})
    for ex in result.exercises:
        missing = f"{EXERCISES[ex]}.py"
        if missing in result.missing_files:
            pts = sum(c.points for c in result.checks if c.exercise == ex and c.counted)
            tests.append({"name": f"{ex}: file", "score": 0, "max_score": 0,
                          "output": f"No file {missing} (or .ipynb) in the submission; "
                                    f"its {pts:g} points are 0.", "visibility": "visible"})
    for note in result.notes:   # e.g. a notebook cell that raised, skipped
        tests.append({"name": "note", "score": 0, "max_score": 0, "output": note,
                      "visibility": "visible"})
    if result.tampering:
        tests.append({"name": "review", "score": 0, "max_score": 0,
                      "output": "\n".join(review_lines(result, visible_only=True)),
                      "visibility": "visible"})
    for c in result.checks:
        if not c.counted:
            continue
        if c.visible and c.status == NOT_COUNTED:
            # passed, and not counted for what the hidden checks found: shown as passed
            # until grades are published, then the points go, and why
            tests.append({"name": c.name, "score": c.points, "max_score": c.points,
                          "output": "passed", "visibility": "visible",
                          "tags": [c.exercise, c.target]})
            tests.append({"name": f"{c.name}: not counted", "score": -c.points,
                          "max_score": 0, "output": c.message,
                          "visibility": "after_published", "tags": [c.exercise, c.target]})
            continue
        output = "passed" if c.status == "passed" else (c.message or
                                                          ("not passed" if not c.visible
                                                           else c.status))
        tests.append({"name": c.name, "score": c.score, "max_score": c.points,
                      "output": output, "visibility": "visible" if c.visible
                      else "after_published",
                      "tags": [c.exercise, c.target]})
    visible = [c for c in result.checks if c.counted and c.visible]
    hidden = sum(c.counted and not c.visible for c in result.checks)
    passed = sum(c.status in ("passed", NOT_COUNTED) for c in visible)
    return {"execution_time": result.seconds,
            "output": ("INCOMPLETE: the grader could not load some of its checks. " if errors
                       else "") + f"{passed} of {len(visible)} visible "
                      f"checks passed" + (f"; the {hidden} hidden checks' results are shown "
                                          f"when grades are published" if hidden else ""),
            "tests": tests}


def write_json(result: GradeResult, path) -> None:
    with open(path, "w") as f:
        json.dump(gradescope_json(result), f, indent=1)


def check_report(result: GradeResult) -> str:
    """A student's `python -m grader check`: per exercise what passes, what is not started,
    and why the rest fails.

        ex02: 3 of 5 checks pass
          x ex02.gradient: matches the analytic derivative
              gradient(...) returned the wrong value ...
    """
    lines = []
    for ex in result.exercises:
        checks = [c for c in result.checks if c.exercise == ex and c.counted]
        if any(m.startswith(ex) for m in result.missing_files):
            lines.append(f"{ex}: no file found")
            continue
        if not checks:
            continue
        if not_started(checks):
            lines.append(f"{ex}: not started ({count(len(checks), 'check')} waiting)")
            continue
        done = sum(c.status == "passed" for c in checks)
        lines.append(f"{ex}: {done} of {len(checks)} checks pass")
        for c in checks:
            if c.status == "not started":
                lines.append(f"  - {c.label}: not started")
            elif c.status != "passed":
                lines.append(f"  x {c.label}")
                lines.extend(message_lines(c, " " * 6))
    lines += [f"note: {n}" for n in result.notes]      # e.g. a notebook cell that raised
    if result.stdout_chars:
        first = next((ln for ln in result.stdout_sample.splitlines() if ln.strip()), "")
        lines.append(f"your code printed {result.stdout_chars} characters while it was checked"
                     + (f" (the first line: {first[:80]})" if first else ""))
    total = sum(c.counted for c in result.checks)
    passed = sum(c.status == "passed" for c in result.checks)
    lines.append(f"{passed} of {total} visible checks pass."
                 + (" All done here: the graders also run hidden checks on other inputs."
                    if passed == total and total else ""))
    return "\n".join(lines)


def target_report(result: GradeResult, ex: str, target: str, kind: str) -> tuple[bool, str]:
    """(all pass?, what a notebook's check cell tells the student) for one target's visible or
    hidden checks. A hidden check shows its name and passed / not passed: never its message,
    its parameters or the seed."""
    name = f"{ex}.{target}"
    hidden = kind == "hidden"
    if result.errors:
        if hidden:
            return False, f"{name}: the grader could not load its hidden checks."
        return False, f"{name}: the grader could not load its checks:\n" + \
            "\n".join(e[:600] for e in result.errors)
    counted = [c for c in result.checks if c.counted]
    skipped = [c for c in result.checks if not c.counted]
    if not counted:
        if kind == "visible" and not skipped:
            return True, (f"{name}: no visible checks for this one; the graders' hidden "
                          f"checks test it.")
        reasons = "" if hidden else "; ".join(sorted({c.message for c in skipped}))
        return True, f"{name}: no {kind} checks ran here" + (f" ({reasons})." if reasons
                                                              else ".")
    passed = [c for c in counted if c.status == "passed"]
    if len(passed) == len(counted):
        return True, (f"{name}: the {kind} check passes." if len(counted) == 1 else
                      f"{name}: all {len(counted)} {kind} checks pass.")
    if not_started(counted):
        return False, (f"{name}: not started: it still raises NotImplementedError.\n"
                       f"Write it in the cell above, run that cell, then run this one again.")
    lines = [f"{name}: {len(passed)} of {len(counted)} {kind} checks pass"]
    if hidden:   # by title: a check's parameters (device, dtype) are one line
        titles: dict[str, bool] = {}
        for c in counted:
            titles[c.title] = titles.get(c.title, True) and c.status == "passed"
        lines.extend(f"  {'ok' if ok else 'x '} {title}: {'passed' if ok else 'not passed'}"
                     for title, ok in titles.items())
        return False, "\n".join(lines)
    for c in counted:
        if c.status != "passed":
            lines.append(f"  x {c.title}" + (f" [{c.params}]" if c.params else ""))
            lines.extend(message_lines(c, " " * 6))
    return False, "\n".join(lines)
