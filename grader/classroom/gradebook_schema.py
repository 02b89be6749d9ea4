"""The gradebook's tables: the schema, what a gradebook written by an earlier version lacks
(migrate), how a CheckResult is a row of `results` and back (check_row, check_of), the name a
student is filed under (stored_name), and one transaction (Transaction).

Tables: `students` (one row per name), `submissions` (one per student: content hash, timestamps,
grader version, seed, score), `results` (one per check of a submission), `runs` (one per class
run) and `meta` (the class seed, the gradebook's identity)."""
from __future__ import annotations

import json
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
    notes          TEXT,                   -- JSON list: files left out of a zip, ...
    tampering      TEXT                    -- JSON list: what its source does to what
                                           -- measures it (grader.engine.review): to review
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


def migrate(db) -> None:
    """Add what a gradebook written by an earlier version lacks (the schema's tables and
    index, columns added since)."""
    db.executescript(SCHEMA)
    columns = {r["name"] for r in db.execute("PRAGMA table_info(submissions)")}
    if "notes" not in columns:   # a gradebook written before notes were kept
        db.execute("ALTER TABLE submissions ADD COLUMN notes TEXT")
    if "tampering" not in columns:   # written before sources were reviewed
        db.execute("ALTER TABLE submissions ADD COLUMN tampering TEXT")
    checks = {r["name"] for r in db.execute("PRAGMA table_info(results)")}
    if "hints" not in checks:
        db.execute("ALTER TABLE results ADD COLUMN hints TEXT")
    if "facts" not in checks:
        db.execute("ALTER TABLE results ADD COLUMN facts INTEGER")


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
