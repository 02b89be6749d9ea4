"""Reading a gradebook: the students, a student's graded submission (as grade_submission
returned it), what is to be reviewed, the class table (one row per student, a column per
exercise) and its CSV for an LMS. The Gradebook (grader.classroom.gradebook) reads through these
methods; its connection is `self.db`."""
from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import stat
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader.classroom.gradebook_files import OutputRefused
from grader.classroom.gradebook_schema import check_of, stored_name
from grader.engine.result import GradeResult
from grader.exercises import EXERCISES
from grader.sandbox import staging


POLICIES = ("latest", "best")


def moment(text) -> datetime | None:
    """A stored or given time (ISO 8601 text or a datetime) as a naive local time, to compare
    (the gradebook writes local times; one with a time zone is converted). None: unreadable."""
    when = _parsed(text)
    return when.astimezone().replace(tzinfo=None) if when and when.tzinfo else when


def aware(text) -> datetime | None:
    """The same time, time-zone aware (one stored without a zone is this machine's)."""
    when = _parsed(text)
    return when if when is None or when.tzinfo else when.astimezone()


def _parsed(text) -> datetime | None:
    if text is None or text == "" or isinstance(text, datetime):
        return text or None
    try:
        return datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Policy:
    """Which graded submission counts for a student's exercise, among every one the gradebook
    keeps: the latest (`latest`, the default) or the best scored (`best`; a tie goes to the
    latest), among those handed in at or before `before` when given (a time, or {exercise:
    time}: a due date per exercise; an exercise not in it has none). A submission's time is
    when it was handed in where that is known, else when it was graded (never earlier than
    handed in); "latest" is the work graded last (new content of the exercise's file: a regrade
    of older work, or a wrong file time, never makes it the latest). With a course file,
    before="due" is each student's own due date per assignment (grader.classroom.
    course_grades, which also applies the late policy)."""

    kind: str = "latest"
    before: object = None

    def __post_init__(self):
        if self.kind not in POLICIES:
            raise ValueError(f"unknown policy {self.kind!r} (one of {', '.join(POLICIES)})")

    def cutoff(self, exercise) -> datetime | None:
        if isinstance(self.before, dict):
            return moment(self.before.get(exercise))
        return moment(self.before)

    @classmethod
    def of(cls, policy=None, before=None) -> "Policy":
        if isinstance(policy, Policy):
            return policy if before is None else cls(policy.kind, before)
        return cls(policy or "latest", before)


class Reading:
    """What a Gradebook reads (a part of it: self.db, get_meta, set_meta and identities are
    the Gradebook's). Every graded submission is kept (`history`); the reading methods take a
    policy (Policy, or its kind and `before`) that picks, per student and exercise, the one
    that counts."""

    def students(self) -> list[str]:
        """Names of the students with a graded submission, sorted."""
        return [r["name"] for r in self.db.execute(
            "SELECT t.name FROM students t WHERE EXISTS (SELECT 1 FROM submissions s "
            "WHERE s.student_id = t.id) ORDER BY t.name")]

    def filed(self) -> list[tuple[str, str, str | None]]:
        """(student, source, folder of the run that graded it) of each student's latest graded
        submission, in the order the students were first filed (a class run: who keeps a
        name, who left)."""
        return [(r["name"], r["source"] or "", r["folder"]) for r in self.db.execute(
            "SELECT t.name, s.source, r.folder FROM students t JOIN submissions s "
            "ON s.id = (SELECT MAX(id) FROM submissions WHERE student_id = t.id) "
            "LEFT JOIN runs r ON r.id = s.run_id ORDER BY t.id")]

    def submission(self, student) -> dict | None:
        """The student's latest graded submission (its row), or None."""
        row = self.db.execute(
            "SELECT s.*, t.name AS student FROM submissions s JOIN students t "
            "ON t.id = s.student_id WHERE t.name = ? ORDER BY s.id DESC LIMIT 1",
            (stored_name(student),)).fetchone()
        return dict(row) if row else None

    def history(self, student=None, policy=None, before=None) -> list[dict]:
        """Every graded submission, one dict per exercise it was graded for, in grading order:
        student, exercise, score, max_score, content_hash, submitted_at (that exercise's
        hand-in time, else the submission's; None: not known), submitted_from, graded_at,
        seed, grader_version, device, source, run_id, submission (its id), file_hash (its
        file's content; '': no file, None: not known), handed (its file was there), failed
        (the grading has an error of the grader's: crash, time limit), content (what tells
        one hand-in of it from another) and counts (whether the policy picks it for that
        student's exercise)."""
        where, args = ("WHERE t.name = ?", (stored_name(student),)) if student is not None \
            else ("", ())
        rows = [dict(r) for r in self.db.execute(
            "SELECT t.name AS student, g.exercise, g.score, g.max_score, s.content_hash, "
            "COALESCE(g.submitted_at, s.submitted_at) AS submitted_at, "
            "COALESCE(g.submitted_from, s.submitted_from) AS submitted_from, "
            "s.graded_at, s.seed, s.grader_version, s.device, s.source, g.file_hash, "
            "s.errors, s.missing_files, "
            "s.run_id, s.id AS submission FROM graded_exercises g JOIN submissions s "
            f"ON s.id = g.submission_id JOIN students t ON t.id = s.student_id {where} "
            "ORDER BY s.id, g.exercise", args)]
        for r in rows:
            _facts(r)
        chosen = _choose(rows, Policy.of(policy, before))
        for r in rows:
            r["counts"] = chosen.get((r["student"], r["exercise"])) is r
        return rows

    def counted(self, student=None, policy=None, before=None) -> dict[str, dict[str, dict]]:
        """{student: {exercise: the history row (see history) that counts}} under the policy."""
        out: dict[str, dict[str, dict]] = {}
        for r in self.history(student, policy, before):
            if r["counts"]:
                out.setdefault(r["student"], {})[r["exercise"]] = r
        return out

    def result(self, student, policy=None, before=None) -> GradeResult | None:
        """The student's grades as one GradeResult (as grade_submission returns it): for each
        exercise, the checks of the graded submission the policy picks (the latest: whatever
        run graded it); the run's facts (errors, notes, printed text) of those submissions,
        the latest first."""
        picked = self.counted(student, policy, before).get(stored_name(student))
        if not picked:
            return None
        order = {ex: i for i, ex in enumerate(EXERCISES)}
        exercises = sorted(picked, key=lambda ex: (order.get(ex, 99), ex))
        ids = sorted({r["submission"] for r in picked.values()}, reverse=True)   # latest first
        subs = {r["id"]: dict(r) for r in self.db.execute(
            f"SELECT * FROM submissions WHERE id IN ({', '.join('?' * len(ids))})", ids)}
        rows = {i: [r for r in self.db.execute(
            "SELECT * FROM results WHERE submission_id = ? ORDER BY position", (i,))]
            for i in ids}
        checks = [check_of(r) for ex in exercises for r in rows[picked[ex]["submission"]]
                  if r["exercise"] == ex]
        latest = subs[ids[0]]

        def joined(key, keep=lambda text: True):
            out = []
            for i in ids:
                for item in json.loads(subs[i].get(key) or "[]"):
                    if item not in out and keep(item):
                        out.append(item)
            return out

        mine = set(exercises)
        return GradeResult(
            submission=latest["source"], seed=latest["seed"], checks=checks,
            missing_files=joined("missing_files", lambda f: _exercise_of(f) in mine
                                 or _exercise_of(f) is None),
            exercises=exercises, seconds=latest["seconds"] or 0.0,
            stdout_chars=latest["stdout_chars"] or 0,
            stdout_sample=latest["stdout_sample"] or "", errors=joined("errors"),
            tampering=joined("tampering"))

    def notes(self, student, policy=None, before=None) -> list[str]:
        """What the student should know about how her counted submissions were read."""
        picked = self.counted(student, policy, before).get(stored_name(student), {})
        out = []
        for i in sorted({r["submission"] for r in picked.values()}, reverse=True):
            row = self.db.execute("SELECT notes FROM submissions WHERE id = ?", (i,)).fetchone()
            out += [n for n in json.loads(row["notes"] or "[]") if n not in out]
        return out

    def results(self, policy=None, before=None) -> dict[str, GradeResult]:
        return {name: r for name in self.students()
                if (r := self.result(name, policy, before)) is not None}

    def to_review(self, policy=None, before=None) -> dict[str, str]:
        """The students whose submission's source reaches into what grades it
        (grader.engine.review), with the first place found and how many: points that rest on
        facts measured in the submission's own process are withheld until a person reviews
        it."""
        out = {}
        marked = {r["id"]: json.loads(r["tampering"]) for r in self.db.execute(
            "SELECT id, tampering FROM submissions WHERE tampering IS NOT NULL AND "
            "tampering != '[]'")}
        if not marked:
            return out
        for name, picked in self.counted(None, policy, before).items():
            found = []
            for i in sorted({r["submission"] for r in picked.values()}, reverse=True):
                found += [f for f in marked.get(i, []) if f not in found]
            if found:
                out[name] = found[0] + (f" (and {len(found) - 1} more)" if len(found) > 1
                                        else "")
        return out

    # -- the class table
    def table(self, policy=None, before=None):
        """(exercises, rows, max_points): rows are (student, {exercise: score}, total), one per
        student; for each exercise, the score of the graded submission the policy picks (0
        where none: never graded for it, or none before the cutoff); exercises are those with
        at least one counted check in the gradebook, in course order; max_points maps each
        exercise (and "total") to its points (those of the gradings picked, else of any)."""
        history = self.history(None, policy, before)
        picked: dict[str, dict[str, dict]] = {}
        maxes: dict[str, float] = {}
        ever: dict[str, float] = {}
        for r in history:
            if r["max_score"]:
                ever[r["exercise"]] = max(ever.get(r["exercise"], 0.0), r["max_score"])
            if r["counts"]:
                picked.setdefault(r["student"], {})[r["exercise"]] = r
                if r["max_score"]:
                    maxes[r["exercise"]] = max(maxes.get(r["exercise"], 0.0), r["max_score"])
        for ex, points in ever.items():      # none picked has points: as graded before
            maxes.setdefault(ex, points)
        order = {ex: i for i, ex in enumerate(EXERCISES)}
        exercises = sorted(maxes, key=lambda ex: (order.get(ex, 99), ex))
        rows = []
        for name in self.students():
            mine = picked.get(name, {})
            scores = {ex: mine[ex]["score"] if ex in mine else 0.0 for ex in exercises}
            rows.append((name, scores, sum(scores.values())))
        maxes = {ex: maxes[ex] for ex in exercises}
        maxes["total"] = sum(maxes.values())
        return exercises, rows, maxes

    def format_table(self, policy=None, before=None) -> str:
        """The score table as text: one row per student, a column per exercise, the total."""
        exercises, rows, maxes = self.table(policy, before)
        width = max([7] + [len(name) for name, _, _ in rows])
        head = f"{'student':<{width}} " + " ".join(f"{ex:>5}" for ex in exercises) + \
            f" {'total':>7}"
        lines = [head, "-" * len(head)]
        for name, scores, total in rows:
            lines.append(f"{name:<{width}} " + " ".join(f"{_num(scores[ex]):>5}"
                                                          for ex in exercises)
                         + f" {_num(total):>7}")
        lines.append("-" * len(head))
        lines.append(f"{'max':<{width}} " + " ".join(f"{_num(maxes[ex]):>5}" for ex in exercises)
                     + f" {_num(maxes['total']):>7}")
        return "\n".join(lines)

    def export_csv(self, path, policy=None, before=None) -> int:
        """One row per student (LMS-friendly): student, one column per exercise, total, and,
        when a submission is to be reviewed (to_review), a `review` column saying why; the
        scores the policy picks (the latest graded submission of each exercise by default).
        Returns the number of students written. '-' writes to stdout. A path is written whole
        beside it under a name of its own, then moved into place (an atomic replace);
        OutputRefused when `path` holds anything but a regular file (a folder, a link, a
        device, a FIFO) or is the gradebook itself or a file beside it."""
        policy = Policy.of(policy, before)
        written = []
        self._write_out(path, lambda f: written.append(self._write_csv(f, policy)))
        return written[0]

    def _write_csv(self, f, policy: Policy) -> int:
        exercises, rows, _ = self.table(policy)
        review = self.to_review(policy)
        w = csv.writer(f)
        w.writerow(["student"] + exercises + ["total"] + (["review"] if review else []))
        for name, scores, total in rows:
            w.writerow([_cell(name)] + [_num(scores[ex]) for ex in exercises]
                       + [_num(total)] + ([_cell(review.get(name, ""))] if review else []))
        return len(rows)

    def export_history(self, path, policy=None, before=None) -> int:
        """Every graded submission, one row per exercise it was graded for (history), to CSV:
        student, exercise, score, max_score, counts (1: the policy picks it), content_hash,
        submitted_at, graded_at, seed, grader_version, device, run. '-': stdout; a path as
        export_csv writes it. Returns the number of rows."""
        rows = self.history(None, policy, before)
        head = ["student", "exercise", "score", "max_score", "counts", "content_hash",
                "submitted_at", "graded_at", "seed", "grader_version", "device", "run"]

        def write(f):
            w = csv.writer(f)
            w.writerow(head)
            for r in rows:
                w.writerow([_cell(r["student"]), r["exercise"], _num(r["score"] or 0.0),
                            _num(r["max_score"] or 0.0), int(r["counts"]), r["content_hash"],
                            _cell(r["submitted_at"] or ""), r["graded_at"], r["seed"],
                            _cell(r["grader_version"] or ""), r["device"], r["run_id"] or ""])

        self._write_out(path, write)
        return len(rows)

    def _write_out(self, path, write) -> None:
        """write(f) to stdout ('-') or to `path`, whole, by an atomic replace (OutputRefused
        where `path` is not a regular file: see csv_problem)."""
        if str(path) == "-":
            write(sys.stdout)
            sys.stdout.flush()
            return
        path = Path(path)
        problem = self.csv_problem(path)
        if problem:
            raise OutputRefused(f"{staging.shown(str(path))} is {problem}")
        fd, tmp = tempfile.mkstemp(prefix=".grades-", suffix=".tmp",
                                   dir=str(path.parent) if str(path.parent) else ".")
        try:
            with os.fdopen(fd, "w", newline="") as f:
                write(f)
            problem = self.csv_problem(path)          # appeared meanwhile: still refused
            if problem:
                raise OutputRefused(f"{staging.shown(str(path))} is {problem}")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._remember_export(path)

    def csv_problem(self, path) -> str:
        """'' when the CSV may be written at `path`, else what is there."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return ""
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        if not stat.S_ISREG(st.st_mode):
            return f"{staging.kind_of(st.st_mode)}, not a file"
        if (st.st_dev, st.st_ino) in self.identities():
            return "the gradebook itself, or a file SQLite keeps beside it"
        return ""

    def _remember_export(self, path: Path) -> None:
        """The inodes of the last CSV files written, so that a class run knows one kept in the
        class folder (named like a student's zip) as this grader's."""
        try:
            ino = os.lstat(path).st_ino
            kept = json.loads(self.get_meta("exports") or "[]")
            self.set_meta("exports", json.dumps(([i for i in kept if i != ino] + [ino])[-20:]))
        except (OSError, ValueError, sqlite3.Error):
            pass

    def exports(self) -> set:
        try:
            return set(json.loads(self.get_meta("exports") or "[]"))
        except ValueError:
            return set()


# The start of a spreadsheet cell: the field's start, or any character a spreadsheet may split a
# line at (the comma of this file, but also ';' in many locales, tab, '|'), then a formula's
# first character.
_FORMULA = re.compile(r"(^|[,;\t|\r\n])\s*([=+\-@])")


def _cell(text: str) -> str:
    """A name as a spreadsheet cell: wherever a spreadsheet could start a cell in it (the
    field's start, or after a ';', a tab, a '|': 'x;=1+1' splits in a ';' locale) and that
    cell starts like a formula (=, +, -, @), the formula is kept as text (an apostrophe before
    it), so opening the CSV never runs it: 'x;=1+1' -> "x;'=1+1"."""
    return _FORMULA.sub(lambda m: m.group(0)[:-1] + "'" + m.group(2), text)


def _facts(r: dict) -> dict:
    """Add to a history row what choosing reads: handed (the exercise's file was there: its
    file hash, or for a grading recorded before those were kept, not in missing_files),
    and failed (the grading has errors)."""
    missing = {_exercise_of(f) for f in _listed(r.pop("missing_files", None))}
    r["handed"] = r["exercise"] not in missing and r.get("file_hash") != ""
    r["failed"] = bool(_listed(r.pop("errors", None)))
    return r


def _listed(text) -> list:
    try:
        return list(json.loads(text or "[]"))
    except (ValueError, TypeError):     # not a JSON list: nothing listed
        return []


def last_of_each_content(rows: list[dict]) -> list[dict]:
    """The rows that take part in choosing (rows in grading order, with _facts): for each
    student's exercise, only the last grading of the same content (the same file, or the
    same submission: same_content): the same work graded again (--force, a new grader
    version, a week that regraded the whole folder) replaces its earlier gradings; a grading
    that failed for the grader's own reasons (a crash, a time limit) does not replace one of
    the same content that did not, nor does one of the same content and grader version that
    counted fewer points (a device's checks that could not run on that machine: points never
    depend on the machine)."""
    alive: dict[tuple, list] = {}
    for r in rows:
        mine = alive.setdefault((r["student"], r["exercise"]), [])
        same = [e for e in mine if same_content(e, r)]
        r["first"] = min([r["submission"]] + [e["first"] for e in same])
        fewer = any(e.get("grader_version") == r.get("grader_version") and
                    (e.get("max_score") or 0.0) > (r.get("max_score") or 0.0) for e in same)
        if r["failed"] and any(not e["failed"] for e in same) or fewer:
            for e in same:                  # the complete grading stays, as old as it was
                e["first"] = r["first"]
            continue
        mine[:] = [e for e in mine if not any(e is x for x in same)] + [r]
    kept = {id(r) for mine in alive.values() for r in mine}
    return [r for r in rows if id(r) in kept]


def same_content(a: dict, b: dict) -> bool:
    """Do two gradings of one student's exercise hold the same work: the same file content,
    or the same whole submission (a grading recorded before file hashes were kept)?"""
    return bool(a["content_hash"]) and a["content_hash"] == b["content_hash"] or \
        bool(a.get("file_hash")) and a.get("file_hash") == b.get("file_hash")


def _choose(rows: list[dict], policy: Policy) -> dict[tuple, dict]:
    """{(student, exercise): the history row that counts} under `policy` (see Policy), among
    the last grading of each content (last_of_each_content). A grading without the
    exercise's file never counts over one with it, whatever its time or score."""
    out: dict[tuple, dict] = {}
    keys: dict[tuple, tuple] = {}
    for r in last_of_each_content(rows):                  # in grading order
        when = moment(r["submitted_at"]) or moment(r["graded_at"]) or datetime.min
        cutoff = policy.cutoff(r["exercise"])
        if cutoff is not None and when > cutoff:
            continue
        key = (r["student"], r["exercise"])
        rank = (r["handed"], r["first"], when) if policy.kind == "latest" else \
            (r["handed"], r["score"] or 0.0, when, r["submission"])
        if key not in out or rank >= keys[key]:
            out[key], keys[key] = r, rank
    return out


_EXERCISE = re.compile(r"(ex\d\d)(?:_|\.|$)")


def _exercise_of(name) -> str | None:
    """The exercise a file of a submission belongs to ('ex03_mlp.ipynb' -> 'ex03')."""
    found = _EXERCISE.match(os.path.basename(str(name)))
    return found.group(1) if found else None


def _num(x: float) -> str:
    """2 decimals at most, no trailing zeros: 12 -> '12', 3.5 -> '3.5', 1/3 -> '0.33'."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

