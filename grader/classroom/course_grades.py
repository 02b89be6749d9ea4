"""A gradebook read through a course file (grader.classroom.course_file): per student and
assignment, the attempt that counts, when it was handed in, how late, the penalty, the raw and
the penalised score.

    course = load_course("course.toml")
    grades = course_grades(book, course)           # {student: [AssignmentGrade, ...]}
    grades["alice"][0].line()   # 'week1: 18 of 24 (raw 20, 1 day late: -10 %), attempt 2 of 3'
    export_course_csv(book, course, "grades.csv")

For each exercise of an assignment, the policy (gradebook_read.Policy) picks among the
student's graded submissions: the latest (default: the work graded last, whatever times its
sources gave) or the best after its penalty; with
before="due", the latest handed in by the student's own due date (her extension included,
within the grace period). Attempts are the distinct hand-ins of the assignment's work (new
content of its exercise files, in hand-in order: a regrade is none); those after the attempt
limit do not count. Only the last grading of each content counts (a --force regrade replaces
the earlier one; a grading that failed for the grader's reasons does not replace a complete
one), and a grading without the exercise's file is no hand-in. Work handed in after the last date
accepted scores 0, with a note. An assignment whose due date has not come yet (at `at`, now
by default) is shown as feedback and not counted.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from grader.classroom.course_file import Course, late_text
from grader.classroom.gradebook_schema import stored_name
from grader.classroom.gradebook_read import (Policy, _cell, _num, aware,
                                             last_of_each_content, moment,
                                             same_content)

NOT_HANDED_IN = "not handed in"
NOT_GRADED = "not graded yet"    # no exercise of the assignment graded for anyone: no points


@dataclass
class AssignmentGrade:
    """One assignment of one student (see the module docstring)."""

    assignment: str
    exercises: tuple
    due: datetime
    extended: bool = False
    max: float = 0.0
    raw: float = 0.0                 # the counted attempts' score before any penalty
    score: float = 0.0               # after the penalty (0 after the last date accepted)
    submitted: datetime | None = None
    submitted_from: str = ""         # where the hand-in time came from
    late: timedelta | None = None    # after the due date (None: on time)
    penalty: float = 0.0             # the fraction taken off
    too_late: bool = False           # after the last date accepted: scores 0
    attempt: int | None = None       # the attempt that counts (1: the first)
    attempts: int = 0                # attempts handed in
    limit: int | None = None         # attempts allowed
    status: str = NOT_HANDED_IN      # on time, late, too late, not handed in
    late_exercises: tuple = ()       # the exercises whose counted work was late
    counts: bool = True              # False: not due yet, feedback only
    notes: list = field(default_factory=list)
    by_exercise: dict = field(default_factory=dict)   # {exercise: (raw, after the penalty)}

    @property
    def graded(self) -> bool:
        """Has any exercise of this assignment been graded, for anyone? An assignment none of
        whose exercises has been graded yet is worth nothing so far: it reads 'not graded
        yet', never '0 of 0', its cells stay empty and it adds nothing to the total."""
        return self.max > 0

    def due_text(self) -> str:
        return _when_text(self.due) + (" (extended)" if self.extended else "")

    def submitted_text(self) -> str:
        if self.submitted is None:
            return ""
        return _when_text(self.submitted) + (f" ({self.submitted_from})"
                                              if self.submitted_from else "")

    def late_text(self) -> str:
        """'' on time; '1 day 2 hours late: -20 %'; 'after the last date accepted: 0'."""
        if not self.graded:
            return NOT_GRADED
        if self.status == NOT_HANDED_IN:
            return NOT_HANDED_IN
        which = f" ({', '.join(self.late_exercises)})" if len(self.exercises) > 1 and \
            self.late_exercises else ""       # which exercise's file made it late
        if self.too_late:
            return f"{late_text(self.late)} late{which}, after the last date accepted: scores 0"
        if self.late is None:
            return ""
        return f"{late_text(self.late)} late{which}" + (f": -{_num(self.penalty * 100)} %"
                                                        if self.penalty else ", no penalty")

    def attempt_text(self) -> str:
        if self.attempt is None:
            return ""
        return f"attempt {self.attempt} of {self.limit if self.limit else self.attempts}"

    def line(self) -> str:
        if not self.graded:
            return f"{self.assignment}: {NOT_GRADED}"
        text = f"{self.assignment}: {_num(self.score)} of {_num(self.max)}"
        extra = [f"raw {_num(self.raw)}"] if self.raw != self.score else []
        extra += [t for t in (self.late_text(),) if t]
        text += f" ({', '.join(extra)})" if extra else ""
        return text + (f", {self.attempt_text()}" if self.attempt else "")


def _when_text(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M %Z").strip()


def course_grades(book, course: Course, policy=None, before=None, at=None, student=None
                  ) -> dict[str, list[AssignmentGrade]]:
    """{student: [AssignmentGrade per assignment of the course, in due-date order]}, of every
    student or of `student` alone."""
    policy = Policy.of(policy, before)
    at = at or datetime.now(timezone.utc)
    by: dict[tuple, list] = defaultdict(list)       # the gradings that may count
    every: dict[tuple, list] = defaultdict(list)    # every hand-in: the attempts
    maxes: dict[str, float] = {}
    handed = [r for r in book.history(student) if r["handed"]]   # graded without its file:
    for r in handed:                                             # not handed in
        r["when"] = aware(r["submitted_at"]) or aware(r["graded_at"])
        every[(r["student"], r["exercise"])].append(r)
    for r in last_of_each_content(handed):    # a regrade of the same content replaces it
        by[(r["student"], r["exercise"])].append(r)
    for ex, points in book.db.execute("SELECT exercise, MAX(max_score) FROM graded_exercises "
                                      "GROUP BY exercise"):
        maxes[ex] = points or 0.0
    names = book.students() if student is None else sorted({r[0] for r in by})
    return {name: [_grade(name, a, by, every, maxes, course, policy, at)
                   for a in course.assignments] for name in names}


def _grade(student, a, by, every, maxes, course: Course, policy: Policy, at
           ) -> AssignmentGrade:
    due, extended = course.due_for(a, student)
    last = course.last_for(a, student)
    limit = course.attempt_limit(a)
    g = AssignmentGrade(a.name, a.exercises, due, extended,
                        max=sum(maxes.get(ex, 0.0) for ex in a.exercises), limit=limit)
    g.counts = at >= due
    if not g.counts:
        g.notes.append(f"due {_when_text(due)}: graded for feedback, not counted yet")
    mine = [r for ex in a.exercises for r in every.get((student, ex), [])]
    attempt = _attempts(mine)
    g.attempts = max(attempt.values(), default=0)
    if limit is not None and g.attempts > limit:
        g.notes.append(f"{g.attempts - limit} attempt{'s' * (g.attempts - limit != 1)} after "
                       f"the limit of {limit} {'do' if g.attempts - limit != 1 else 'does'} "
                       f"not count")

    def factor(r) -> tuple[float, bool, timedelta | None]:
        """(the penalty, after the last date accepted, how late) of one grading."""
        late = r["when"] - due
        if late <= timedelta(0):
            return 0.0, False, None
        if last is not None and r["when"] > last:
            return 1.0, True, late
        return course.late.penalty(late), False, late

    chosen = {}
    for ex in a.exercises:
        cands = [r for r in by.get((student, ex), [])
                 if limit is None or attempt[id(r)] <= limit]
        if policy.before == "due":
            cands = [r for r in cands if r["when"] <= due + course.late.grace]
        elif policy.cutoff(ex) is not None:
            cands = [r for r in cands if (moment(r["submitted_at"]) or moment(r["graded_at"]))
                     <= policy.cutoff(ex)]
        if not cands:
            continue
        if policy.kind == "best":
            chosen[ex] = max(cands, key=lambda r: ((r["score"] or 0.0) * (1 - factor(r)[0]),
                                                   r["when"], r["submission"]))
        else:
            chosen[ex] = max(cands, key=lambda r: (r["first"], r["when"]))   # the newest work
    if not chosen:
        if mine:
            g.notes.append("none of the work handed in counts (" +
                           ("all after the due date" if policy.before == "due"
                            else "all after the attempt limit") + ")")
        return g
    for ex, r in chosen.items():
        penalty, too_late, late = factor(r)
        g.by_exercise[ex] = (r["score"] or 0.0,
                             0.0 if too_late else (r["score"] or 0.0) * (1 - penalty))
        g.raw += g.by_exercise[ex][0]
        g.score += g.by_exercise[ex][1]
        g.penalty = max(g.penalty, penalty)
        g.too_late |= too_late
        if late is not None and late > course.late.grace:
            g.late_exercises += (ex,)
    if policy.kind != "best" and policy.before != "due":
        g.notes += _replaced(chosen, by, student, attempt, factor, limit, due.tzinfo)
    latest = max(chosen.values(), key=lambda r: r["when"])
    g.submitted = latest["when"].astimezone(due.tzinfo)      # in the course's time zone
    g.submitted_from = latest["submitted_from"] or ""
    if latest["submitted_at"] is None:
        g.submitted_from = "grading time: the hand-in time is not known"
    late = g.submitted - due
    g.late = late if late > course.late.grace or g.penalty else None
    if late > timedelta(0) and g.late is None:
        g.notes.append(f"handed in {late_text(late)} after the due date, within the grace "
                       f"period")
    g.attempt = max(attempt[id(r)] for r in chosen.values())
    g.status = "too late" if g.too_late else "late" if g.late is not None else "on time"
    if g.too_late:
        g.notes.append(f"handed in after the last date accepted "
                       f"({_when_text(last.astimezone(due.tzinfo))}): scores 0")
    return g


def _replaced(chosen, by, student, attempt, factor, limit, zone) -> list[str]:
    """Where the newest work counts (--policy latest) and is late, and earlier work of the same
    exercise would count for more after its penalty: which attempt counts, and why. A
    resubmission after the last date accepted scores 0 in place of an on-time 18."""
    out = []
    for ex, r in chosen.items():
        penalty, too_late, _ = factor(r)
        now = 0.0 if too_late else (r["score"] or 0.0) * (1 - penalty)
        if not penalty:
            continue
        older = [o for o in by.get((student, ex), []) if o is not r and o["when"] < r["when"]
                 and (limit is None or attempt[id(o)] <= limit)]
        worth = {id(o): 0.0 if factor(o)[1] else (o["score"] or 0.0) * (1 - factor(o)[0])
                 for o in older}
        best = max(older, key=lambda o: (worth[id(o)], o["when"]), default=None)
        if best is None or worth[id(best)] <= now:
            continue
        was = factor(best)
        out.append(f"{ex}: attempt {attempt[id(r)]} counts (--policy latest: the newest work), "
                   f"handed in {_when_text(r['when'].astimezone(zone))}"
                   + (", after the last date accepted: 0 points" if too_late else
                      f", late: {_num(now)} points after -{_num(penalty * 100)} %")
                   + f", in place of attempt {attempt[id(best)]} ("
                   + ("on time" if not was[0] else f"late, -{_num(was[0] * 100)} %")
                   + f": {_num(worth[id(best)])} points); export --policy best would count "
                   f"attempt {attempt[id(best)]}")
    return out


def course_lines(book, course: Course, exercises, students, graded) -> list[str]:
    """What a class run under a course file says at its end: per assignment it graded (of
    `exercises`), who of the class (`students`) handed in on time, late, too late or not at
    all, and the mean after late penalties ('week3 (due 2026-10-15 23:59 CEST): 3 on time, 1
    after the last date accepted (dan), 1 not handed in (eve); mean 27 of 36 after late
    penalties'); then replaced_lines for the students it `graded`."""
    from grader.sandbox import staging
    mine = {stored_name(s) for s in students}
    grades = {s: g for s, g in course_grades(book, course).items() if s in mine}
    out, nobody = [], []
    for i, a in enumerate(course.assignments):
        if not set(a.exercises) & set(exercises) or not grades:
            continue
        rows = [(s, g[i]) for s, g in grades.items()]
        if all(g.status == NOT_HANDED_IN for _, g in rows):
            nobody.append(a.name)        # one line for them all (a week not collected yet)
            continue
        counts = []
        for status in ("on time", "late", "too late", NOT_HANDED_IN):
            who = [s for s, g in rows if g.status == status]
            if who:
                names = ", ".join(staging.shown(w, quote=False, limit=40) for w in who[:3])
                counts.append(f"{len(who)} " + ("after the last date accepted" if status ==
                                                "too late" else status)
                              + ("" if status == "on time" else
                                 f" ({names}{', ...' if who[3:] else ''})"))
        mean = sum(g.score for _, g in rows) / len(rows)
        due = datetime.now(timezone.utc) >= a.due
        out.append(f"{a.name} (due {_when_text(a.due)}): {', '.join(counts)}; "
                   + (f"mean {_num(mean)} of {_num(max(g.max for _, g in rows))} after late "
                      f"penalties" if due else "not due yet: graded for feedback, not counted"))
    if nobody:
        out.append(f"{', '.join(nobody)}: handed in by none of the {len(grades)} students "
                   f"(grade each week's exercises with --exercises)")
    return out + (total_line(course, grades) if out else []) \
        + replaced_lines(book, course, graded)


def run_means(book, course: Course, scores: dict, exercises) -> tuple[float, float]:
    """The class means of a run's first line under a course file: (before late penalties,
    after them) of `exercises` (the run's), over the students of `scores` ({student:
    {exercise: score}}, the class table's): each exercise of an assignment as the course
    counts it (the attempt that counts, 0 after the last date accepted), one of no assignment
    as the table has it."""
    if not scores:
        return 0.0, 0.0
    grades = course_grades(book, course)
    where = {ex: i for i, a in enumerate(course.assignments) for ex in a.exercises}
    raws, after = [], []
    for name, mine in scores.items():
        graded = grades.get(name)
        raw = pen = 0.0
        for ex in exercises:
            if ex in where and graded is not None:
                r, p = graded[where[ex]].by_exercise.get(ex, (0.0, 0.0))
            else:
                r = p = mine.get(ex, 0.0)
            raw, pen = raw + r, pen + p
        raws.append(raw)
        after.append(pen)
    return sum(raws) / len(raws), sum(after) / len(after)


def total_line(course: Course, grades: dict) -> list[str]:
    """The class's mean course total, as `export --course` writes it (the assignments that
    count now and have been graded, late penalties applied), after the run's first line,
    whose class means are those of the exercises it graded: 'course total: class mean 5.8 of
    8 after late penalties (week1, week2: ...)'. None while no assignment counts yet."""
    counted = [a.name for i, a in enumerate(course.assignments)
               if any(g[i].counts and g[i].graded for g in grades.values())]
    if not counted:
        return []
    totals = [sum(g.score for g in graded if g.counts and g.graded)
              for graded in grades.values()]
    worth = max(sum(g.max for g in graded if g.counts and g.graded)
                for graded in grades.values())
    return [f"course total: class mean {_num(sum(totals) / len(totals))} of {_num(worth)} "
            f"after late penalties ({', '.join(counted)}: the assignments that count now, "
            f"as export --course writes them)"]


def replaced_lines(book, course: Course, students) -> list[str]:
    """The class run's lines for `students` where a late resubmission counts in place of
    earlier work worth more (see _replaced): 'alice: week1: ex01: attempt 2 counts, ...'."""
    out = []
    for student in sorted(set(students)):
        for g in course_grades(book, course, student=student).get(stored_name(student), []):
            out += [f"{student}: {g.assignment}: {n}" for n in g.notes
                    if "(--policy latest:" in n and g.counts]
    return out


def _attempts(rows) -> dict[int, int]:
    """{id(row): the attempt that first handed its work in} for one student's gradings of one
    assignment's exercises: an attempt is a grading that holds work not handed in before (an
    exercise's file content new to the gradebook: gradebook_read.same_content), in hand-in
    order; a regrade of the same files, or a week that regraded the whole folder, is none."""
    subs: dict[int, list] = defaultdict(list)
    for r in rows:
        subs[r["submission"]].append(r)
    seen: list[tuple[dict, int]] = []
    out: dict[int, int] = {}
    n = 0
    for sub in sorted(subs, key=lambda i: (max(r["when"] for r in subs[i]), i)):
        found = {id(r): next((k for e, k in seen if e["exercise"] == r["exercise"]
                              and same_content(e, r)), None) for r in subs[sub]}
        if None in found.values():
            n += 1
        for r in subs[sub]:
            out[id(r)] = found[id(r)] or n
            seen.append((r, out[id(r)]))
    return out


def course_table(book, course: Course, policy=None, before=None, at=None):
    """(assignments, rows, maxes): rows are (student, {assignment: AssignmentGrade}, total of
    the counted assignments' penalised scores); maxes: {assignment: points, "total": ...}."""
    grades = course_grades(book, course, policy, before, at)
    names = [a.name for a in course.assignments]
    rows, maxes = [], {n: 0.0 for n in names}
    for student, graded in grades.items():
        mine = {g.assignment: g for g in graded}
        for g in graded:
            maxes[g.assignment] = max(maxes[g.assignment], g.max)
        rows.append((student, mine, sum(g.score for g in graded if g.counts and g.graded)))
    maxes["total"] = sum(maxes[n] for n in names)
    return names, rows, maxes


def export_course_csv(book, course: Course, path, policy=None, before=None, at=None) -> int:
    """One row per student: for each assignment its penalised score (blank while it is not
    due yet, or not graded yet: then its raw score is blank too, and its late cell says
    so), its raw score and how late (blank: on time), then the total and, when a
    submission is to be reviewed, why. '-': stdout. Returns the number of students."""
    names, rows, _ = course_table(book, course, policy, before, at)
    review = book.to_review(policy, before)

    def write(f):
        import csv
        w = csv.writer(f)
        w.writerow(["student"] + [c for n in names for c in (n, f"{n} raw", f"{n} late")]
                   + ["total"] + (["review"] if review else []))
        for student, mine, total in rows:
            cells = []
            for n in names:
                g = mine[n]
                if not g.graded:        # nothing of it graded: no 0 to import
                    cells += ["", "", NOT_GRADED]
                    continue
                cells += [_num(g.score) if g.counts else "", _num(g.raw),
                          g.late_text() if g.counts or g.status != NOT_HANDED_IN
                          else "not due yet"]
            w.writerow([_cell(student)] + cells + [_num(total)]
                       + ([_cell(review.get(student, ""))] if review else []))

    book._write_out(path, write)
    return len(rows)


def page_rows(graded: list[AssignmentGrade]) -> list[dict]:
    """The assignments as a student's page shows them."""
    return [{"name": g.assignment, "exercises": ", ".join(g.exercises), "due": g.due_text(),
             "submitted": g.submitted_text(), "late": g.late_text(), "status": g.status,
             "penalty": g.penalty, "raw": g.raw, "score": g.score, "max": g.max,
             "attempt": g.attempt_text(), "counts": g.counts, "notes": g.notes,
             "graded": g.graded}
            for g in graded]
