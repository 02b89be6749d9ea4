"""What a grading run gives back: one CheckResult per check, gathered in a GradeResult.

A CheckResult is built once, from the check's pytest item and report (grader/checks/conftest.py,
`pytest_runtest_makereport`); everything that shows or stores results reads these fields: the
terminal table and Gradescope's JSON (grader.engine.report), the feedback page (grader.classroom.feedback), the
class summary (grader.classroom.summary), the gradebook (grader.classroom.gradebook) and the notebooks' check cells
(grader.notebook). A GradeResult crosses process boundaries as plain data (`to_dict`).

This module imports neither pytest nor torch: a notebook's kernel reads results with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace

STATUSES = ("passed", "failed", "not started", "error", "skipped", "not counted", "withheld")
NOT_COUNTED = "not counted"
WITHHELD = "withheld"
# statuses whose message states a rule of the grader's, never what a run computed
_RULES = ("skipped", NOT_COUNTED, WITHHELD)


@dataclass
class CheckResult:
    nodeid: str
    exercise: str
    target: str
    title: str
    params: str
    points: float
    visible: bool
    status: str        # one of STATUSES
    message: str
    seconds: float
    plots: list = field(default_factory=list)   # data for the feedback page (grader.engine.plots)
    hints: list = field(default_factory=list)   # the known mistakes the check named
    facts: bool = False   # it read facts measured inside the worker (a probe, a tensor's meta)

    @property
    def score(self) -> float:
        return self.points if self.status == "passed" else 0.0

    @property
    def counted(self) -> bool:
        return self.status != "skipped"

    @property
    def label(self) -> str:
        """'forward: forward(3.0, 2.0) is 6.0 [cpu]': the check within its exercise."""
        return f"{self.target}: {self.title}" + (f" [{self.params}]" if self.params else "")

    @property
    def name(self) -> str:
        """'ex01 forward: ...': the check within the whole run."""
        return f"{self.exercise} {self.label}"


_CHECK_FIELDS = fields(CheckResult)


@dataclass
class GradeResult:
    submission: str
    seed: int | None
    checks: list[CheckResult] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stdout_chars: int = 0
    stdout_sample: str = ""
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # e.g. notebook cells skipped: they raised
    # where the submission's source reaches into the grader or rewrites what measures it
    # (grader.engine.review): for the instructor to review; see withhold_facts
    tampering: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks if c.counted)

    def by_exercise(self) -> dict[str, tuple[float, float]]:
        out = {ex: [0.0, 0.0] for ex in self.exercises}
        for c in self.checks:
            if c.counted and c.exercise in out:
                out[c.exercise][0] += c.score
                out[c.exercise][1] += c.points
        return {ex: (s, m) for ex, (s, m) in out.items()}

    def for_students(self) -> "GradeResult":
        """What a student may read of this result (a copy): a hidden check shows its name and
        passed / not passed, nothing computed while it ran (its message, hints, plots, time, or
        how it failed: failed, error and not started all read "failed"), and the run's seed is
        left out. Every output a student reads (results.json, the
        feedback page, a notebook's check cell, the score table unless the instructor asks
        for more) is made from this copy; the gradebook keeps the whole result."""
        checks = [c if c.visible else replace(  # the grader's own words stay (why it was
            c, message=c.message if c.status in _RULES else "",   # skipped, not counted...)
            status=c.status if c.status in _RULES or c.status == "passed" else "failed",
            hints=[], plots=[], seconds=0.0) for c in self.checks]   # not passed: one status
        return replace(self, checks=checks, seed=None,
                       seconds=round(sum(c.seconds for c in self.checks if c.visible), 3))

    def to_dict(self) -> dict:
        """Plain data: new dicts and lists all the way to the plots, whose values (plain
        lists of numbers, never changed once made) are shared rather than copied, as
        dataclasses.asdict did for ~15 ms a submission."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("missing_files", "exercises", "errors", "notes", "tampering"):
            d[key] = list(d[key])
        d["checks"] = [{**{f.name: getattr(c, f.name) for f in _CHECK_FIELDS},
                        "plots": [dict(p) for p in c.plots], "hints": list(c.hints)}
                       for c in self.checks]
        d["score"], d["max_score"] = self.score, self.max_score
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GradeResult":
        d = dict(d)
        d.pop("score", None)
        d.pop("max_score", None)
        d["checks"] = [CheckResult(**c) for c in d["checks"]]
        return cls(**d)


def share_points(checks: list[CheckResult]) -> None:
    """One point table, whatever machine grades: a check function's points (@check(points=P))
    are shared by its variants (its parameters: dtype, device, inputs) that ran, P / n each; a
    variant skipped (the CUDA one where there is no CUDA) passes its share to the others and
    counts 0. So an exercise's maximum is the sum of its check functions' points on a CPU
    machine and on a GPU machine alike, and the notebook's check cells, which carry those sums
    (grader.instructor.build.check_points), add up to it. Changes `checks` in place."""
    groups: dict[str, list[CheckResult]] = {}
    for c in checks:
        groups.setdefault(c.nodeid.split("[", 1)[0], []).append(c)
    for group in groups.values():
        ran = [c for c in group if c.counted]
        for c in group:
            c.points = c.points / len(ran) if c.counted else 0.0


def count_property_checks(checks: list[CheckResult], property_of: dict[str, list[str]]):
    """Answers that do no work earn nothing. A check marked @pytest.mark.property_of tests a
    property that a constant, a bool, the input handed back or a function that does nothing
    may also have (the gradient is 0 at the minimum, 0 epochs give w0 back, the loss is
    returned as a float). It keeps its points only when the value checks of the targets it
    names (the checks of the same exercise and target that are not property checks and were
    not skipped) ran in this run and all passed; otherwise a passed property check becomes
    "not counted": 0 points, its points still in the maximum. `property_of` maps the nodeid of
    each property check to those targets. Changes `checks` in place."""
    values: dict[tuple[str, str], list[str]] = {}
    for c in checks:
        if c.nodeid not in property_of and c.status != "skipped":
            values.setdefault((c.exercise, c.target), []).append(c.status)
    for c in checks:
        targets = property_of.get(c.nodeid)
        if not targets or c.status != "passed":
            continue
        runs = [values.get((c.exercise, t), []) for t in targets]
        if not all(r and all(s == "passed" for s in r) for r in runs):
            c.status = NOT_COUNTED
            c.message = f"not counted until the value checks of {' and '.join(targets)} pass"


def count_visible_checks(checks: list[CheckResult], property_of: dict[str, list[str]]):
    """Answers that do no work earn nothing, the visible checks' recorded answers included.
    The visible checks' inputs and expected values ship with the student kit, so a function
    that returns them as constants passes every visible check. Where the hidden checks of the
    same exercise and target ran (value checks, not property checks) and none of them passed,
    the target's passed visible checks become "not counted" (0 points, kept in the maximum):
    the function gives the recorded answers and nothing else. A target with no hidden checks
    in this run (a student's own `check`) keeps its visible points. Changes `checks` in
    place."""
    hidden: dict[tuple[str, str], list[str]] = {}
    for c in checks:
        if not c.visible and c.status != "skipped" and c.nodeid not in property_of:
            hidden.setdefault((c.exercise, c.target), []).append(c.status)
    for c in checks:
        runs = hidden.get((c.exercise, c.target))
        if c.visible and c.status == "passed" and runs and \
                not any(s in ("passed", WITHHELD) for s in runs):
            c.status = NOT_COUNTED
            c.message = (f"not counted yet: {c.target} gives the visible checks' recorded "
                         f"answers, but none of its hidden checks, on other inputs, pass; these "
                         f"points count once one does (fix what the other checks say)")


def withhold_facts(result: GradeResult, reached=None) -> None:
    """No points on forgeable facts. A submission whose source tampers (result.tampering: it
    reaches into the grader's modules, rewrites a library or builtins, walks frames or the
    garbage collector's objects, uses ctypes ...) could have rewritten what was measured in its
    own process: every passed check that read such a fact (CheckResult.facts) is withheld (0
    points, its points still in the maximum) with a note saying why, for a person to review.
    `reached`: the exercises whose worker could run the flagged code (its own file is flagged,
    or imports one: grader.sandbox.submission.tainted_modules); None: every exercise. Checks
    that compare values only keep their points. Changes `result` in place."""
    if not result.tampering:
        return
    from grader.engine.review.manual import MANUAL
    # findings of the manual pass only (a manual function reaches autograd past the worker's
    # watch): what they put in doubt is the manual functions' own checks
    manual_only = all(": a manual function (" in t for t in result.tampering)
    for c in result.checks:
        if reached is not None and c.exercise not in reached:
            continue
        if manual_only and c.target not in MANUAL.get(c.exercise, ()):
            continue
        if c.facts and c.status == "passed":
            c.status = WITHHELD
            c.message = ("withheld for review: this check rests on facts measured in the "
                         "submission's own process, and its source rewrites what measures "
                         "them (see the review note)")


# Hints whose condition one input cannot show: "a sum where a mean is wanted" needs the factor
# to be N on two inputs with different N (on one, `z = (y * 3) ** 2` gives 3 with N = 3 by
# chance). grader.engine.compare.mistakes.scale_mistakes gives them; confirm_across_inputs
# keeps each only where another check of the same function saw its own N as the factor.
SUM_FOR_MEAN = ("this is {n} times the expected value: a sum where a mean is wanted (divide by "
                "the number of samples, N = {n}).")
MEAN_TWICE = "this is 1/{n} of the expected value: divided by N = {n} once too often?"
# every hint that reads a factor as N, whoever words it (the exercises' tables say "this is
# {n} times the MSE: a sum where the mean is wanted", "out is {n} times the mean: ...", "this
# is N = {n} times the expected value", "this is 1/{n} of the expected value: ...")
_PER_N = [("times", re.compile(r"(?:this|out) is (?:N = )?(\d+) times the .*", re.S)),
          ("over", re.compile(r"this is 1/(\d+) of the .*", re.S)),
          # a training run that matches the run with every gradient divided by N
          # (grader.checks.training.fit_grads_of_mean): a step 1/N as big for any other reason
          # (a smaller learning rate written in) gives the same run on one input
          ("fit", re.compile(r"the gradients are divided by N = (\d+): .*", re.S))]


def _per_n(hint: str):
    """("times" or "over", N) for a hint tied to the number of samples, else None."""
    for kind, pattern in _PER_N:
        m = pattern.fullmatch(hint)
        if m and int(m.group(1)) > 1:
            return kind, int(m.group(1))
    return None


def confirm_across_inputs(checks: list[CheckResult]) -> None:
    """A hint tied to N (SUM_FOR_MEAN, MEAN_TWICE) stays only where another failing check of
    the same function found the factor equal to its own, different N; a visible check counts
    only visible checks' evidence (a hidden check's finding never reaches a student's page).
    Elsewhere the hint becomes what was seen: the factor, and that it equals N here."""
    seen = [(c.exercise, c.target, c.visible, *_per_n(part))
            for c in checks for h in c.hints for part in _joined(h) if _per_n(part)]

    def confirmed(c, part):
        kind, n = _per_n(part)
        return any(ex == c.exercise and t == c.target and k == kind and m != n
                   and (vis or not c.visible) for ex, t, vis, k, m in seen)
    for c in checks:
        for h in [h for h in c.hints if _per_n(h)]:
            if confirmed(c, h):
                continue
            kind, n = _per_n(h)
            c.hints.remove(h)
            c.message = c.message.replace(f"hint: {h}", f"note: {_per_n_note(kind, n)}")
        for h in [h for h in c.hints if len(_joined(h)) > 1]:     # one of several mistakes:
            kept = [p for p in _joined(h) if not _per_n(p) or confirmed(c, p)]   # a named one
            if len(kept) < len(_joined(h)) and any(not is_guess(p) for p in kept):  # stays
                new = kept[0] if len(kept) == 1 else JOINED.format(len(kept)) + \
                    " | ".join(kept)
                c.hints[c.hints.index(h)] = new
                c.message = c.message.replace(f"hint: {h}", f"hint: {new}")


# several known mistakes that give the same values (grader.engine.compare.mistakes.name_mistake)
JOINED = "these values are what each of {} known mistakes gives, so they cannot tell which: "


def _joined(hint: str) -> list[str]:
    """The mistakes a hint of several names, or [hint]."""
    m = re.match(JOINED.replace("{}", r"(\d+)") + "(.*)", hint, re.S)
    return m.group(2).split(" | ") if m else [hint]


def _per_n_note(kind: str, n: int) -> str:
    """What a hint tied to N says where one input cannot tell: the evidence only."""
    if kind == "fit":
        return (f"the run is the one whose gradients are divided by N = {n} (its steps 1/{n} as "
                f"big); one input cannot tell that from steps 1/{n} as big for another reason")
    factor = f"{n} times" if kind == "times" else f"1/{n} of"
    return (f"every value is {factor} the expected one; N = {n} here too, but one input cannot "
            f"tell whether the factor comes from N")


# The value patterns a message reads off the numbers alone (grader.engine.compare.relations, and
# scale_mistakes' factors): true of the values, but a guess at a cause. Where the function uses
# another function of the student's whose own checks fail, the pattern may come from that
# other function's fault (a wrong sigmoid makes a correct bce_grad_logits look "reversed"):
# blame_callees takes them back.
_GUESSES = re.compile(
    r"(every value (is|has) |the value (is|has) |the expected (values|rows)|the same values as "
    r"expected|only (the value|\d+ of the \d+ values) at |only the (rows|values at indices) \d+ to |this is (half|twice|[\d.]+ times|1/\d+ "
    r"of) the expected value|the sign is flipped: the derivative of \(x\*w - y\))")
NO_KNOWN = "no known mistake gives these values"


def is_guess(hint: str) -> bool:
    """Whether a hint is a pattern of the values (an order, a factor, a sign, an offset, one
    wrong index) rather than a mistake a table names."""
    return bool(_GUESSES.match(hint))


def reaches(source: str, only=None) -> dict[str, set[str]]:
    """For each function and class defined at the top of a student's file (or those of them
    in `only`), the other top-level functions and classes it names, and those they name in
    turn, read from the text (never run): {"bce_grad_logits": {"sigmoid"}, "sigmoid": set()}.
    {} when the text does not parse. The names each one names directly are kept once; what
    they reach is followed for the functions asked for only (a chain of 12 000 functions,
    each calling the next, held 18 million names when all were followed)."""
    import ast
    try:
        from grader.sandbox.apart import parse
        tree = parse(source)
    except (SyntaxError, ValueError):
        return {}
    top = {n.name: n for n in tree.body
           if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    names = set(top)
    named = {name: {x.id for x in ast.walk(node) if isinstance(x, ast.Name)} & names - {name}
             for name, node in top.items()}
    out = {}
    for name in top if only is None else set(only) & set(top):
        seen, todo = set(), list(named[name])
        while todo:
            n = todo.pop()
            if n not in seen and n != name:
                seen.add(n)
                todo.extend(named[n])
        out[name] = seen
    return out


def blame_callees(checks: list[CheckResult], sources: dict[str, str],
                  uses_of: dict[str, list[str]] | None = None) -> None:
    """A failing check whose function uses another function or class of the student's own
    file (named in its text, in turn: `reaches`; or handed to it by the check, `uses_of`,
    nodeid -> targets, as predict_classes gets the student's model) whose own checks fail in
    this run: no value-pattern guess (`is_guess`) is given for it, nor "no known mistake", and
    the message says which function to fix first and which of its checks says why. A hint its
    own mistake table names stays only where it names that callee as a cause
    (`_names_a_callee`): a wrong loss makes a right best_weight return the worst weight, and
    "argmax where argmin is wanted" would send the student to fix code that is right. A visible check counts only visible checks' failures (a
    hidden check's finding never reaches a student's page). `sources`: exercise -> the staged
    text of its file. Changes `checks` in place."""
    failing: dict[tuple[str, str], list[CheckResult]] = {}
    for c in checks:
        if c.status in ("failed", "error", "not started"):
            failing.setdefault((c.exercise, c.target), []).append(c)
    graphs = {ex: reaches(text, {t for e, t in failing if e == ex})
              for ex, text in sources.items()}
    for c in checks:
        if c.status not in ("failed", "error"):
            continue
        used = set(graphs.get(c.exercise, {}).get(c.target, ())) | \
            set((uses_of or {}).get(c.nodeid, ()))
        culprits = []
        for name in sorted(used - {c.target}):
            theirs = [o for o in failing.get((c.exercise, name), ()) if o.visible or not c.visible]
            if theirs:
                culprits.append((name, theirs))
        if not culprits:
            continue
        names = [n for n, _ in culprits]
        for h in [h for h in c.hints if is_guess(h) or not _names_a_callee(h, names)]:
            c.hints.remove(h)
            c.message = c.message.replace(f"\n  hint: {h}", "")
        c.message = "\n".join(line for line in c.message.split("\n")
                              if not (line.startswith("  note: ") and _is_guess_note(line[8:])))
        c.message = c.message.replace(f": {NO_KNOWN}", "").replace(f" ({NO_KNOWN})", "")
        c.message += "\n  note: " + _fix_first(c.target, culprits)


def _names_a_callee(hint: str, names) -> bool:
    """Whether a hint names one of the failing callees (by its name, as a word) as a cause:
    "d is updated with grad_c (..., or a grad_d computed as grad_c, e.g. in poly_grads)" holds
    whether the fault is the caller's or poly_grads'. A hint that names a mistake of the
    caller's own code only ("argmax where argmin is wanted") is confirmed only by a run with
    the callee replaced by the reference: the callee's fault already changes every value the
    caller returns, so these values cannot confirm it."""
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", hint) for n in names)


def _is_guess_note(text: str) -> bool:
    """A note of confirm_across_inputs: a factor seen, no cause named."""
    return text.startswith(("every value is ", "the run is the one whose gradients are divided"))


def _fix_first(target: str, culprits) -> str:
    """'bce_grad_logits uses sigmoid, whose own checks fail (sigmoid: sigmoid at 0, 2 ...,
    which says: this is 1 - sigmoid(z) ...): fix sigmoid first; these values may follow from
    it'."""
    parts = []
    for name, theirs in culprits:
        named = next((o for o in theirs if o.hints), theirs[0])
        title = named.title.split(": ", 1)[0]
        title = title if len(title) <= 60 else title[:57] + "..."
        why = f", which says: {named.hints[0]}" if named.hints else ""
        parts.append(f"{name}, whose own checks fail (its check '{title}'{why})")
    names = " and ".join(n for n, _ in culprits)
    return (f"{target} uses {'; and '.join(parts)}: fix {names} first; these values may "
            f"follow from {'it' if len(culprits) == 1 else 'them'}")
