"""The gradebook's tables: the schema, what a gradebook written by an earlier version lacks
(migrate), how a CheckResult is a row of `results` and back (check_row, check_of), the name a
student is filed under (stored_name), and one transaction (Transaction).

Tables: `students` (one row per name), `submissions` (every graded submission, kept as history:
content hash, submission time when known, grading time, grader version, seed, score),
`graded_exercises` (one per exercise a submission was graded for: its score and points there,
its file's content hash, when that content was first handed in and where that time came from),
`results` (one per check of a submission), `runs` (one per class run) and `meta` (the class
seed, the gradebook's identity, the schema's version). Nothing is replaced: which graded
submission counts for a student's exercise is decided when reading (gradebook_read, a policy).

A gradebook written before the history was kept (one submission per student, UNIQUE) is
upgraded in place, in one transaction, nothing dropped (migrate)."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from datetime import datetime

from grader.engine.result import CheckResult
from grader.sandbox.safetext import clean

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
    id             INTEGER PRIMARY KEY,        -- every graded submission: the history
    student_id     INTEGER NOT NULL REFERENCES students(id),
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
    notes          TEXT,                   -- JSON list: files left out of a zip, ...
    tampering      TEXT,                   -- JSON list: what its source does to what
                                           -- measures it (grader.engine.review): to review
    submitted_at   TEXT,                   -- when it was handed in, if known (ISO 8601)
    submitted_from TEXT                    -- where that time came from (handed_in: FROM_*)
);
CREATE INDEX IF NOT EXISTS submissions_student ON submissions(student_id);
CREATE TABLE IF NOT EXISTS graded_exercises (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    exercise      TEXT NOT NULL,           -- graded in this submission's run
    score         REAL NOT NULL,           -- its checks' points earned (skipped ones left out)
    max_score     REAL NOT NULL,           -- its checks' points
    submitted_at  TEXT,                    -- when this exercise was handed in, if known
    submitted_from TEXT,                   -- where that time came from (handed_in: FROM_*)
    file_hash     TEXT,                    -- its file's content ('': no file; NULL: not known)
    PRIMARY KEY (submission_id, exercise)
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
    plots         TEXT,                    -- JSON list (see grader.engine.plots.plot)
    hints         TEXT,                    -- JSON list: the mistakes the check named
    facts         INTEGER,                 -- 1: it read facts measured inside the worker
    PRIMARY KEY (submission_id, nodeid)
);
CREATE INDEX IF NOT EXISTS results_exercise ON results(exercise);
"""
# A row of `results` holds one CheckResult: a column per field (these as JSON), plus its score.
CHECK_FIELDS = tuple(f.name for f in fields(CheckResult))
JSON_FIELDS = ("plots", "hints")


VERSION = 2      # meta `schema`: 2 = every graded submission kept, scored per exercise
# columns added to a version's tables since (an older gradebook gets each, empty)
ADDED = {"submissions": ("submitted_from",),
         "graded_exercises": ("submitted_at", "submitted_from", "file_hash")}
TABLES = frozenset({"meta", "students", "runs", "submissions", "results", "graded_exercises"})
# the columns of `submissions`, as version 2 has them (a rebuilt table copies these)
SUBMISSION_COLUMNS = ("id", "student_id", "run_id", "source", "content_hash", "seed",
                      "grader_version", "exercises", "device", "graded_at", "seconds", "score",
                      "max_score", "missing_files", "errors", "stdout_chars", "stdout_sample",
                      "notes", "tampering", "submitted_at", "submitted_from")


def migrate(db) -> None:
    """Add what a gradebook written by an earlier version lacks (the schema's tables and
    index, columns added since: each added empty, no row changed), and turn one written before the history was kept (one
    submission per student: `student_id ... UNIQUE`) into version 2: the table rebuilt
    without the constraint, every row and id kept, and each submission's score per exercise
    (graded_exercises) computed from its own checks. One transaction: a gradebook is either
    upgraded whole or left as it was. Safe when two processes open the same old gradebook at
    once (the second finds it upgraded)."""
    db.executescript(SCHEMA)
    if _schema_version(db) >= VERSION and not _needs_rebuild(db) and not _lacking(db):
        return
    db.execute("PRAGMA foreign_keys = OFF")    # a rebuilt table is dropped: never cascade
    try:
        with Transaction(db):
            columns = {r["name"] for r in db.execute("PRAGMA table_info(submissions)")}
            for name in ("notes", "tampering", "submitted_at", "submitted_from"):   # added
                if name not in columns:                                       # over time
                    db.execute(f"ALTER TABLE submissions ADD COLUMN {name} TEXT")
            graded = {r["name"] for r in db.execute("PRAGMA table_info(graded_exercises)")}
            for name in ADDED["graded_exercises"]:
                if name not in graded:
                    db.execute(f"ALTER TABLE graded_exercises ADD COLUMN {name} TEXT")
            checks = {r["name"] for r in db.execute("PRAGMA table_info(results)")}
            if "hints" not in checks:
                db.execute("ALTER TABLE results ADD COLUMN hints TEXT")
            if "facts" not in checks:
                db.execute("ALTER TABLE results ADD COLUMN facts INTEGER")
            if _needs_rebuild(db):
                _rebuild_submissions(db)
            _fill_graded_exercises(db)
            db.execute("INSERT INTO meta(key, value) VALUES ('schema', ?) ON CONFLICT(key) "
                       "DO UPDATE SET value = excluded.value", (str(VERSION),))
            problems = db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise sqlite3.IntegrityError(f"the upgraded gradebook's references do not "
                                             f"hold ({len(problems)} rows)")
    finally:
        db.execute("PRAGMA foreign_keys = ON")
    db.executescript(SCHEMA)                   # the index of the rebuilt table


def _lacking(db) -> bool:
    """Does a table lack a column added since its version (ADDED)?"""
    for table, names in ADDED.items():
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        if not set(names) <= have:
            return True
    return False


def _schema_version(db) -> int:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return int(row[0]) if row else 1
    except (sqlite3.Error, ValueError):
        return 1


def _needs_rebuild(db) -> bool:
    """Does `submissions` still hold one row per student (UNIQUE student_id: before v2)?"""
    for index in db.execute("PRAGMA index_list(submissions)").fetchall():
        if index[2] and index[3] == "u":       # unique, from a UNIQUE constraint
            cols = [r[2] for r in db.execute(f"PRAGMA index_info(\"{index[1]}\")")]
            if cols == ["student_id"]:
                return True
    return False


def _rebuild_submissions(db) -> None:
    """`submissions` again without UNIQUE(student_id): rows and ids as they were (results
    refer to them). Runs inside the caller's transaction, foreign keys off."""
    new = SCHEMA.split("CREATE TABLE IF NOT EXISTS submissions (", 1)[1].split(");", 1)[0]
    db.execute(f"CREATE TABLE submissions_v2 ({new})")
    have = {r["name"] for r in db.execute("PRAGMA table_info(submissions)")}
    cols = ", ".join(c for c in SUBMISSION_COLUMNS if c in have)
    db.execute(f"INSERT INTO submissions_v2({cols}) SELECT {cols} FROM submissions")
    db.execute("DROP TABLE submissions")
    db.execute("ALTER TABLE submissions_v2 RENAME TO submissions")


def _fill_graded_exercises(db) -> None:
    """graded_exercises for each submission that has none (one written before v2): the
    exercises it was graded for (its `exercises`, and any its checks belong to), each with
    the points of its checks there, skipped ones left out (as the table counted them)."""
    for sub_id, listed in db.execute(
            "SELECT id, exercises FROM submissions WHERE id NOT IN "
            "(SELECT submission_id FROM graded_exercises)").fetchall():
        try:
            exercises = [str(e) for e in json.loads(listed or "[]")]
        except (ValueError, TypeError):
            exercises = []
        sums = {r[0]: (r[1] or 0.0, r[2] or 0.0) for r in db.execute(
            "SELECT exercise, SUM(score), SUM(points) FROM results WHERE submission_id = ? "
            "AND status != 'skipped' GROUP BY exercise", (sub_id,))}
        for exercise in dict.fromkeys(exercises + sorted(sums)):
            score, points = sums.get(exercise, (0.0, 0.0))
            db.execute("INSERT INTO graded_exercises(submission_id, exercise, score, max_score) "
                       "VALUES (?, ?, ?, ?)", (sub_id, exercise, score, points))


def now() -> str:
    return datetime.now().isoformat(timespec="milliseconds")


def check_row(c: CheckResult) -> tuple:
    """A CheckResult as the values of its columns (CHECK_FIELDS)."""
    values = []
    for name in CHECK_FIELDS:
        value = getattr(c, name)
        if name in JSON_FIELDS:
            value = json.dumps(value) if value else None
        elif name in ("visible", "facts"):
            value = int(value)
        values.append(value)
    return tuple(values)


def check_of(row) -> CheckResult:
    """A row of `results` back as the CheckResult it was written from."""
    values = {name: row[name] for name in CHECK_FIELDS}
    for name in JSON_FIELDS:
        values[name] = json.loads(values[name]) if values[name] else []
    values["visible"] = bool(values["visible"])
    values["facts"] = bool(values["facts"])
    values["message"] = values["message"] or ""
    values["seconds"] = values["seconds"] or 0.0
    return CheckResult(**values)


def stored_name(student) -> str:
    """A student's name as the gradebook files it: the same safe text everywhere."""
    return clean(student, None, lines=False)


class Transaction:
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
