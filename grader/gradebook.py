"""The class gradebook: one SQLite file holding every student's latest graded submission.

    book = Gradebook("gradebook.db")
    book.record("alice", result, content_hash="9f2c...", run_id=run)   # one transaction
    book.current("alice", "9f2c...", seed=7, exercises=["ex01"])      # True: no need to regrade
    book.table()        # (exercises, rows, max points): one row per student, a column per exercise
    book.export_csv("grades.csv")

Tables: `students` (one row per name), `submissions` (one per student: content hash, timestamps,
grader version, seed, score), `results` (one per check of a submission), `runs` (one per class
run) and `meta` (the class seed). Writing a submission replaces the student's previous one in a
single transaction, so a run killed at any moment leaves every student either fully graded or
untouched.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import fields
from datetime import datetime
from pathlib import Path

from grader.exercises import EXERCISES
from grader.result import CheckResult, GradeResult
from grader.runner import safe_text
from grader.safetext import LINE, clean

ROOT = Path(__file__).resolve().parent.parent

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS students (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS runs (
    id             INTEGER PRIMARY KEY,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    status         TEXT NOT NULL,          -- running, finished (a killed run stays running)
    folder         TEXT,
    seed           INTEGER,
    grader_version TEXT,
    exercises      TEXT,                   -- JSON list
    jobs           INTEGER,
    graded         INTEGER DEFAULT 0,
    skipped        INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS submissions (
    id             INTEGER PRIMARY KEY,
    student_id     INTEGER NOT NULL UNIQUE REFERENCES students(id),
    run_id         INTEGER REFERENCES runs(id),
    source         TEXT,                   -- the folder or zip it came from
    content_hash   TEXT NOT NULL,
    seed           INTEGER NOT NULL,
    grader_version TEXT NOT NULL,
    exercises      TEXT NOT NULL,          -- JSON list
    device         TEXT NOT NULL DEFAULT 'all',
    graded_at      TEXT NOT NULL,
    seconds        REAL,
    score          REAL,
    max_score      REAL,
    missing_files  TEXT,                   -- JSON list
    errors         TEXT,                   -- JSON list
    stdout_chars   INTEGER,
    stdout_sample  TEXT,
    notes          TEXT                    -- JSON list: files left out of a zip, ...
);
CREATE TABLE IF NOT EXISTS results (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    nodeid        TEXT NOT NULL,
    exercise      TEXT NOT NULL,
    target        TEXT,
    title         TEXT,
    params        TEXT,
    points        REAL NOT NULL,
    score         REAL NOT NULL,
    visible       INTEGER NOT NULL,
    status        TEXT NOT NULL,           -- passed, failed, not started, error, skipped
    message       TEXT,
    seconds       REAL,
    plots         TEXT,                    -- JSON list (see grader.plots.plot)
    hints         TEXT,                    -- JSON list: the mistakes the check named
    PRIMARY KEY (submission_id, nodeid)
);
CREATE INDEX IF NOT EXISTS results_exercise ON results(exercise);
"""
# A row of `results` holds one CheckResult: a column per field (these as JSON), plus its score.
CHECK_FIELDS = tuple(f.name for f in fields(CheckResult))
JSON_FIELDS = ("plots", "hints")

# What decides a score, as globs under the package's root: editing any file they match makes a
# new grader version (and a class run regrades). Left out: what only carries values or presents
# results (the sandbox, the runner, the pages, the command line), so a new page layout does not
# force a regrade. A glob, not a list of files: a file moved within these stays counted.
SCORING = (
    "grader/checks/**/*",        # the checks: visible and hidden, inputs, mistakes, recorded values
    "solutions/**/*",            # the references
    "grader/**/probes/**/*",     # what the worker runs for the checks
    "grader/data/**/*",          # the data sets the checks train on
    # the engine's comparison code: tolerances, oracles, recorded values, how points count
    "grader/**/numeric.py", "grader/**/expected.py",
    "grader/**/reference.py", "grader/**/trajectory.py", "grader/**/datasets.py",
    "grader/**/result.py",
)

_version_cache: dict[Path, str] = {}


def scoring_files(root: Path = ROOT) -> list[Path]:
    """The files that decide a score (SCORING), sorted; caches and compiled files left out."""
    found = {p for pattern in SCORING for p in root.glob(pattern)
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    return sorted(found)


def grader_version(root: Path = ROOT) -> str:
    """The package version plus a digest of everything that decides a score (SCORING: the
    checks, the references, the engine's comparison code), e.g. '0.1.0+3fa81c2e'.

    The environment variable GRADER_VERSION overrides it (e.g. to keep a gradebook while
    editing the checks: `GRADER_VERSION=fall-2025 python -m grader grade-class ...`)."""
    if os.environ.get("GRADER_VERSION"):
        return os.environ["GRADER_VERSION"]
    if root not in _version_cache:
        _version_cache[root] = f"{_package_version(root)}+{scoring_digest(root, 4)}"
    return _version_cache[root]


def scoring_digest(root: Path = ROOT, size: int = 8) -> str:
    """A digest (`size` bytes, in hex) of every file that decides a score (scoring_files): their
    paths and contents. grader_version shows 4 bytes of it; the reference table is tied to 8."""
    digest = hashlib.blake2b(digest_size=size)
    for p in scoring_files(root):
        digest.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return digest.hexdigest()


def _package_version(root: Path = ROOT) -> str:
    try:
        for line in (root / "setup.cfg").read_text().splitlines():
            if line.replace(" ", "").startswith("version="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    try:
        from importlib.metadata import version
        return version("torchdrills")
    except Exception:  # noqa: BLE001 - not installed: still a usable version string
        return "0"


def _now() -> str:
    return datetime.now().isoformat(timespec="milliseconds")


class Gradebook:
    """An SQLite gradebook (created on first use). Safe to open while a class run writes to it."""

    def __init__(self, path="gradebook.db"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        # WAL: readers never block the writer; NORMAL: each commit survives the process being
        # killed (it could only be lost with the whole machine).
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.executescript(SCHEMA)
        columns = {r["name"] for r in self.db.execute("PRAGMA table_info(submissions)")}
        if "notes" not in columns:   # a gradebook written before notes were kept
            self.db.execute("ALTER TABLE submissions ADD COLUMN notes TEXT")
        if "hints" not in {r["name"] for r in self.db.execute("PRAGMA table_info(results)")}:
            self.db.execute("ALTER TABLE results ADD COLUMN hints TEXT")

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- transactions
    def _transaction(self):
        return _Transaction(self.db)

    # -- meta: the class seed
    def get_meta(self, key, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key, value):
        with self._transaction():
            self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                            "UPDATE SET value = excluded.value", (key, str(value)))

    def class_seed(self, seed: int | None = None) -> int:
        """The seed of this class's hidden-check inputs: `seed` when given (and remembered),
        else the one remembered from an earlier run, else a new random one (remembered)."""
        if seed is None:
            stored = self.get_meta("seed")
            if stored is not None:
                return int(stored)
            import random
            seed = random.SystemRandom().randrange(2**31)
        self.set_meta("seed", int(seed))
        return int(seed)

    # -- runs
    def begin_run(self, folder, seed, exercises, jobs) -> int:
        with self._transaction():
            cur = self.db.execute(
                "INSERT INTO runs(started_at, status, folder, seed, grader_version, exercises, "
                "jobs) VALUES (?, 'running', ?, ?, ?, ?, ?)",
                (_now(), str(folder), seed, grader_version(), json.dumps(list(exercises)), jobs))
            return cur.lastrowid

    def finish_run(self, run_id, graded, skipped):
        with self._transaction():
            self.db.execute("UPDATE runs SET finished_at = ?, status = 'finished', graded = ?, "
                            "skipped = ? WHERE id = ?", (_now(), graded, skipped, run_id))

    # -- submissions
    def current(self, student, content_hash, seed, exercises, device="all") -> bool:
        """Is this exact submission already graded with this seed, grader version, exercise
        list and device? Then a class run skips it."""
        row = self.db.execute(
            "SELECT s.content_hash, s.seed, s.grader_version, s.exercises, s.device "
            "FROM submissions s JOIN students t ON t.id = s.student_id WHERE t.name = ?",
            (_name(student),)).fetchone()
        return row is not None and row["content_hash"] == content_hash and \
            row["seed"] == seed and row["grader_version"] == grader_version() and \
            json.loads(row["exercises"]) == list(exercises) and row["device"] == device

    def record(self, student: str, result: GradeResult, *, content_hash: str, run_id=None,
               source=None, device="all", notes=()) -> None:
        """Write one graded submission, replacing the student's previous one, in ONE
        transaction: either all of it is in the gradebook, or none of it. `notes`: what the
        student should know about how the submission was read (e.g. a file left out).

        All of its text is made safe first (grader.safetext; a result from grade_submission
        already is, and stays as it was): no student's text can make the write fail."""
        student, result = _name(student), safe_text(GradeResult.from_dict(result.to_dict()))
        source = clean(source if source is not None else result.submission, 4096, lines=False)
        notes = [clean(n, LINE, lines=False) for n in notes]
        with self._transaction():
            self.db.execute("INSERT OR IGNORE INTO students(name) VALUES (?)", (student,))
            sid = self.db.execute("SELECT id FROM students WHERE name = ?",
                                  (student,)).fetchone()["id"]
            old = self.db.execute("SELECT id FROM submissions WHERE student_id = ?",
                                  (sid,)).fetchone()
            if old is not None:
                self.db.execute("DELETE FROM results WHERE submission_id = ?", (old["id"],))
                self.db.execute("DELETE FROM submissions WHERE id = ?", (old["id"],))
            cur = self.db.execute(
                "INSERT INTO submissions(student_id, run_id, source, content_hash, seed, "
                "grader_version, exercises, device, graded_at, seconds, score, max_score, "
                "missing_files, errors, stdout_chars, stdout_sample, notes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, run_id, source, content_hash, int(result.seed), grader_version(),
                 json.dumps(list(result.exercises)), device, _now(), result.seconds,
                 result.score, result.max_score, json.dumps(result.missing_files),
                 json.dumps(result.errors), result.stdout_chars, result.stdout_sample,
                 json.dumps(list(notes) + [n for n in result.notes if n not in notes])))
            sub_id = cur.lastrowid
            self.db.executemany(
                f"INSERT INTO results(submission_id, position, score, {', '.join(CHECK_FIELDS)}) "
                f"VALUES (?, ?, ?{', ?' * len(CHECK_FIELDS)})",
                [(sub_id, i, c.score, *_check_row(c)) for i, c in enumerate(result.checks)])

    def students(self) -> list[str]:
        """Names of the students with a graded submission, sorted."""
        return [r["name"] for r in self.db.execute(
            "SELECT t.name FROM students t JOIN submissions s ON s.student_id = t.id "
            "ORDER BY t.name")]

    def submission(self, student) -> dict | None:
        row = self.db.execute(
            "SELECT s.*, t.name AS student FROM submissions s JOIN students t "
            "ON t.id = s.student_id WHERE t.name = ?", (_name(student),)).fetchone()
        return dict(row) if row else None

    def result(self, student) -> GradeResult | None:
        """The student's graded submission as a GradeResult (as grade_submission returned it)."""
        sub = self.submission(student)
        if sub is None:
            return None
        checks = [_check_of(r) for r in self.db.execute(
            "SELECT * FROM results WHERE submission_id = ? ORDER BY position", (sub["id"],))]
        return GradeResult(submission=sub["source"], seed=sub["seed"], checks=checks,
                           missing_files=json.loads(sub["missing_files"] or "[]"),
                           exercises=json.loads(sub["exercises"]),
                           seconds=sub["seconds"] or 0.0, stdout_chars=sub["stdout_chars"] or 0,
                           stdout_sample=sub["stdout_sample"] or "",
                           errors=json.loads(sub["errors"] or "[]"))

    def notes(self, student) -> list[str]:
        sub = self.submission(student)
        return json.loads(sub["notes"] or "[]") if sub else []

    def results(self) -> dict[str, GradeResult]:
        return {name: self.result(name) for name in self.students()}

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
        """One row per student (LMS-friendly): student, one column per exercise, total.
        Returns the number of students written."""
        exercises, rows, _ = self.table()
        tmp = Path(f"{path}.tmp{os.getpid()}")
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["student"] + exercises + ["total"])
            for name, scores, total in rows:
                w.writerow([_cell(name)] + [_num(scores[ex]) for ex in exercises]
                           + [_num(total)])
        os.replace(tmp, path)
        return len(rows)


def _check_row(c: CheckResult) -> tuple:
    """A CheckResult as the values of its columns (CHECK_FIELDS)."""
    values = []
    for name in CHECK_FIELDS:
        value = getattr(c, name)
        if name in JSON_FIELDS:
            value = json.dumps(value) if value else None
        elif name == "visible":
            value = int(value)
        values.append(value)
    return tuple(values)


def _check_of(row) -> CheckResult:
    """A row of `results` back as the CheckResult it was written from."""
    values = {name: row[name] for name in CHECK_FIELDS}
    for name in JSON_FIELDS:
        values[name] = json.loads(values[name]) if values[name] else []
    values["visible"] = bool(values["visible"])
    values["message"] = values["message"] or ""
    values["seconds"] = values["seconds"] or 0.0
    return CheckResult(**values)


def _name(student) -> str:
    """A student's name as the gradebook files it: the same safe text everywhere."""
    return clean(student, None, lines=False)


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


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
        return False
