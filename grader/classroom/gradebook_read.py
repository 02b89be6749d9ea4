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
import tempfile
from pathlib import Path

from grader.classroom.gradebook_files import OutputRefused
from grader.classroom.gradebook_schema import check_of, stored_name
from grader.engine.result import GradeResult
from grader.exercises import EXERCISES
from grader.sandbox import staging


class Reading:
    """What a Gradebook reads (a part of it: self.db, get_meta, set_meta and identities are
    the Gradebook's)."""

    def students(self) -> list[str]:
        """Names of the students with a graded submission, sorted."""
        return [r["name"] for r in self.db.execute(
            "SELECT t.name FROM students t JOIN submissions s ON s.student_id = t.id "
            "ORDER BY t.name")]

    def filed(self) -> list[tuple[str, str, str | None]]:
        """(student, source, folder of the run that graded it) of every graded submission, in
        the order the students were first filed (a class run: who keeps a name, who left)."""
        return [(r["name"], r["source"] or "", r["folder"]) for r in self.db.execute(
            "SELECT t.name, s.source, r.folder FROM students t JOIN submissions s "
            "ON s.student_id = t.id LEFT JOIN runs r ON r.id = s.run_id ORDER BY t.id")]

    def submission(self, student) -> dict | None:
        row = self.db.execute(
            "SELECT s.*, t.name AS student FROM submissions s JOIN students t "
            "ON t.id = s.student_id WHERE t.name = ?", (stored_name(student),)).fetchone()
        return dict(row) if row else None

    def result(self, student) -> GradeResult | None:
        """The student's graded submission as a GradeResult (as grade_submission returned it)."""
        sub = self.submission(student)
        if sub is None:
            return None
        checks = [check_of(r) for r in self.db.execute(
            "SELECT * FROM results WHERE submission_id = ? ORDER BY position", (sub["id"],))]
        return GradeResult(submission=sub["source"], seed=sub["seed"], checks=checks,
                           missing_files=json.loads(sub["missing_files"] or "[]"),
                           exercises=json.loads(sub["exercises"]),
                           seconds=sub["seconds"] or 0.0, stdout_chars=sub["stdout_chars"] or 0,
                           stdout_sample=sub["stdout_sample"] or "",
                           errors=json.loads(sub["errors"] or "[]"),
                           tampering=json.loads(sub.get("tampering") or "[]"))

    def notes(self, student) -> list[str]:
        sub = self.submission(student)
        return json.loads(sub["notes"] or "[]") if sub else []

    def results(self) -> dict[str, GradeResult]:
        return {name: self.result(name) for name in self.students()}

    def to_review(self) -> dict[str, str]:
        """The students whose submission's source reaches into what grades it
        (grader.engine.review), with the first place found and how many: points that rest on
        facts measured in the submission's own process are withheld until a person reviews
        it."""
        out = {}
        for r in self.db.execute(
                "SELECT t.name, s.tampering FROM submissions s JOIN students t "
                "ON t.id = s.student_id WHERE s.tampering IS NOT NULL AND s.tampering != '[]'"):
            found = json.loads(r["tampering"])
            out[r["name"]] = found[0] + (f" (and {len(found) - 1} more)" if len(found) > 1
                                         else "")
        return out

    # -- the class table
    def table(self):
        """(exercises, rows, max_points): rows are (student, {exercise: score}, total), one per
        student; exercises are those with at least one check in the gradebook, in course order;
        max_points maps each exercise (and "total") to its points."""
        per = {}
        maxes: dict[str, float] = {}
        for r in self.db.execute(
                "SELECT t.name, r.exercise, SUM(r.score) AS score, SUM(r.points) AS points "
                "FROM results r JOIN submissions s ON s.id = r.submission_id "
                "JOIN students t ON t.id = s.student_id WHERE r.status != 'skipped' "
                "GROUP BY t.name, r.exercise"):
            per.setdefault(r["name"], {})[r["exercise"]] = r["score"]
            maxes[r["exercise"]] = max(maxes.get(r["exercise"], 0.0), r["points"])
        order = {ex: i for i, ex in enumerate(EXERCISES)}
        exercises = sorted(maxes, key=lambda ex: (order.get(ex, 99), ex))
        rows = []
        for name in self.students():
            scores = {ex: per.get(name, {}).get(ex, 0.0) for ex in exercises}
            rows.append((name, scores, sum(scores.values())))
        maxes = {ex: maxes[ex] for ex in exercises}
        maxes["total"] = sum(maxes.values())
        return exercises, rows, maxes

    def format_table(self) -> str:
        """The score table as text: one row per student, a column per exercise, the total."""
        exercises, rows, maxes = self.table()
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

    def export_csv(self, path) -> int:
        """One row per student (LMS-friendly): student, one column per exercise, total, and,
        when a submission is to be reviewed (to_review), a `review` column saying why.
        Returns the number of students written. Written whole beside `path` under a name of
        its own, then moved into place; OutputRefused when `path` holds anything but a plain
        file (a folder, a link, a FIFO) or is the gradebook itself or a file beside it."""
        path = Path(path)
        problem = self.csv_problem(path)
        if problem:
            raise OutputRefused(f"{staging.shown(str(path))} is {problem}")
        exercises, rows, _ = self.table()
        review = self.to_review()
        fd, tmp = tempfile.mkstemp(prefix=".grades-", suffix=".tmp",
                                   dir=str(path.parent) if str(path.parent) else ".")
        try:
            with os.fdopen(fd, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["student"] + exercises + ["total"] + (["review"] if review else []))
                for name, scores, total in rows:
                    w.writerow([_cell(name)] + [_num(scores[ex]) for ex in exercises]
                               + [_num(total)] + ([_cell(review.get(name, ""))] if review
                                                  else []))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._remember_export(path)
        return len(rows)

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


def _num(x: float) -> str:
    """2 decimals at most, no trailing zeros: 12 -> '12', 3.5 -> '3.5', 1/3 -> '0.33'."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

