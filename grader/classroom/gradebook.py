"""The class gradebook: one SQLite file holding every graded submission of every student.

    book = Gradebook("gradebook.db")
    book.record("alice", result, content_hash="9f2c...", run_id=run)   # one transaction
    book.current("alice", "9f2c...", exercises=["ex01"])      # True: no need to regrade
    book.table()        # (exercises, rows, max points): one row per student, a column per exercise
    book.table(policy="best", before="2026-10-01T23:59")   # another policy, a cutoff
    book.history("alice")                   # every graded submission, per exercise
    book.export_csv("grades.csv")           # or "-": stdout

Tables: `students` (one row per name), `submissions` (every graded submission, never replaced:
content hash, submission and grading times, grader version, seed, score), `graded_exercises`
(its score per exercise graded), `results` (one per check of a submission), `runs` (one per
class run) and `meta` (the last run's seed). A run that grades ex02 adds ex02's grading and leaves
every other exercise's as it was; which grading counts for a student's exercise is the
reading's policy (the latest by default: gradebook_read.Policy). Each submission is written in a
single transaction, so a run killed at any moment leaves every student either fully graded or
untouched.

A gradebook is told apart by identity, never by its name (grader.classroom.gradebook_files:
inspect, where it is kept). Here: the Gradebook, which writes a class run (its runs, each graded
submission, the run's seed) and reads through grader.classroom.gradebook_read (a student's
result, the class table, the CSV); the schema is grader.classroom.gradebook_schema's; and the
grader's version (what decides a score: a new version regrades a class).
"""
from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from grader.classroom.gradebook_files import (APPLICATION_ID, DEFAULT, SIDECARS, GradebookBusy,
                                              NotAGradebook, OutputRefused, Place,
                                              copy_gradebook, create,
                                              inspect, kept_path, run_holds, state_home)
from grader.classroom.first_handed import (correct_times, csv_time_not_for, first_handed_in,
                                           rank)
from grader.classroom.gradebook_read import Reading, moment
from grader.classroom.handed_in import FROM_FILE
from grader.classroom.gradebook_schema import (CHECK_FIELDS, Transaction, check_row, migrate,
                                               now, stored_name)
from grader.engine.result import GradeResult
from grader.engine.runner import safe_text
from grader.sandbox import staging
from grader.sandbox.safetext import LINE, clean

# The gradebook's names, wherever they live (callers import them from here).
__all__ = ["DEFAULT", "SIDECARS", "Gradebook", "GradebookBusy", "NotAGradebook", "OutputRefused",
           "Place",
           "copy_gradebook", "default_gradebook", "grader_version", "inspect", "kept_path",
           "scoring_digest", "scoring_files", "state_home", "SCORING"]

# The grader's version lives with the engine (grader.engine.version); a gradebook records it.
from grader.engine.version import (SCORING, grader_version, scoring_digest,  # noqa: E402,F401
                                   scoring_files)


def _moment_text(when) -> str | None:
    """A submission time as stored: ISO 8601 text (None: not known)."""
    if when is None or when == "":
        return None
    if hasattr(when, "isoformat"):
        return when.isoformat(timespec="milliseconds")
    return clean(str(when), 64, lines=False)


def default_gradebook(db=None) -> tuple["Gradebook", str]:
    """The gradebook `export` reads, and a note ('' if none): `db` if named (a copy or a moved
    one of this grader's is read, as named); else gradebook.db here when it is this grader's,
    else the one grade-class kept for this folder (kept_path). OutputRefused otherwise, saying
    what is there and what to do."""
    if db is not None:
        place = inspect(db)
        shown = staging.shown(str(db))
        if place.state == "free":
            raise OutputRefused(f"no gradebook {shown} (run grade-class first)")
        if place.state == "moved" and not place.blocked:
            return Gradebook(db, adopt=True), (f"{shown} was not written at this place by this "
                                               f"grader; read as yours, since you named it")
        if not place.usable:      # a student's entry takes its name or its file's beside it
            kept = kept_path(db)  # (gradebook.db-wal): grade-class kept the grades there
            if inspect(kept).usable:
                return Gradebook(kept), f"gradebook {kept}: kept there by grade-class for {shown}"
            if place.state == "ours":
                copy_gradebook(db, kept)
                return Gradebook(kept, adopt=True), (f"{NotAGradebook(place)}: its grades are "
                                                     f"copied to {kept}, read from there")
            raise NotAGradebook(place)
        return Gradebook(db), ""
    here = Path.cwd() / DEFAULT
    place, kept = inspect(here), kept_path(here)
    if place.usable:
        return Gradebook(here), ""
    if inspect(kept).usable:
        return Gradebook(kept), f"gradebook {kept}: this folder's, kept there by grade-class"
    if place.state == "ours":              # a file beside it is not its own: read a copy
        copy_gradebook(here, kept)
        return Gradebook(kept, adopt=True), (f"{NotAGradebook(place)}: its grades are copied "
                                             f"to {kept}, this folder's gradebook from now on")
    if place.state == "free":
        raise OutputRefused(f"no gradebook here ({DEFAULT}; run grade-class first, or name "
                            f"one: --db PATH)")
    if place.state == "moved" and not place.blocked:
        raise OutputRefused(f"{DEFAULT} here is {place.what}: its grades are not read unless "
                            f"you name it: --db {DEFAULT}")
    raise OutputRefused(f"{NotAGradebook(place)}; name the gradebook: --db PATH")


class Gradebook(Reading):
    """An SQLite gradebook (created on first use). Safe to open while a class run writes to it.

    Only this grader's gradebook is opened (see inspect): anything else at `path` raises
    NotAGradebook and is left untouched. adopt=True opens a gradebook of this grader that was
    copied or moved to `path` (or written before gradebooks were marked) and marks it as
    written here; the caller decides when that is safe (never where students' files lie)."""

    def __init__(self, path=DEFAULT, *, adopt=False):
        place = inspect(path)
        self.created = False        # made by this call (a refused run removes it: discard)
        for _ in range(3):
            if place.state != "free":
                break
            create(place.path)
            place = inspect(path)
            self.created = place.usable
        if place.state == "free" or place.state == "taken" or place.blocked or \
                (place.state == "moved" and not adopt):
            raise NotAGradebook(place)
        self.adopted = place.state == "moved"
        self.path = place.real or place.path
        self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            # WAL: readers never block the writer; NORMAL: each commit survives the process
            # being killed (it could only be lost with the whole machine).
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            migrate(self.db)
            self._mark()
        except sqlite3.DatabaseError as exc:   # damaged past what inspect reads: one line
            self.db.close()
            raise NotAGradebook(Place(place.path, "taken", f"a gradebook that cannot be opened "
                                                           f"({exc}); left as it is")) from None

    def _mark(self):
        """Record this gradebook's identity where a later open reads it from the file alone:
        the mark in its header, the inode it lies at, and the inodes of the -wal and -shm
        files its connections use now (one left by a killed run is then known as its own)."""
        st = os.stat(self.path)
        sides = []
        for suffix in ("-wal", "-shm"):
            try:
                sides.append(str(os.lstat(f"{self.path}{suffix}").st_ino))
            except OSError:
                pass
        want = {"place": str(st.st_ino), "sidecars": " ".join(sides)}
        have = {k: self.get_meta(k) for k in want}
        app = self.db.execute("PRAGMA application_id").fetchone()[0]
        if have == want and app == APPLICATION_ID:
            return
        with self._transaction():
            if app != APPLICATION_ID:
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for key, value in want.items():
                self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) "
                                "DO UPDATE SET value = excluded.value", (key, value))
        try:     # into the database file itself, where inspect reads it
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass

    def discard(self) -> None:
        """Close, and remove the gradebook if this object made it and nothing was recorded
        since (a run refused before it graded anyone leaves nothing behind)."""
        made = self.created and not self.db.execute("SELECT 1 FROM runs LIMIT 1").fetchone() \
            and not self.db.execute("SELECT 1 FROM submissions LIMIT 1").fetchone()
        ino = os.stat(self.path).st_ino
        self.close()
        if made and inspect(self.path).usable and os.stat(self.path).st_ino == ino:
            for suffix in SIDECARS + ("",):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """The gradebook and the files SQLite keeps beside it: what a class run knows as its
        own (by identity, grader.classroom.entries.Outputs) in a listing of the class folder."""
        return [Path(f"{self.path}{suffix}") for suffix in ("",) + SIDECARS]

    def identities(self) -> set:
        """(device, inode) of the gradebook and the files beside it now."""
        out = set()
        for path in self.files():
            try:
                st = os.lstat(path)
            except OSError:
                continue
            out.add((st.st_dev, st.st_ino))
        return out

    def pages_token(self) -> str:
        """A secret of this gradebook that marks the feedback pages' folders it writes (one
        kept inside a class folder is then known as this grader's, not a student's)."""
        token = self.get_meta("pages")
        if not token:
            token = os.urandom(16).hex()
            self.set_meta("pages", token)
        return token

    def close(self):
        """Close; the -wal and -shm files recorded at open are no longer vouched for (SQLite
        removes them as the last connection closes, and a file made later may get the same
        inode). One left by a killed run stays vouched for: its record was never cleared,
        nor by a reader (`export`) that closed while the run wrote, since a run holds them."""
        try:
            with self._transaction():
                if self._run_lock is not None or not run_holds(self.path):
                    self.db.execute("UPDATE meta SET value = '' WHERE key = 'sidecars'")
                if self._run_lock is not None and self._run_id is not None:   # Ctrl-C, a crash
                    self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = ? "
                                    "WHERE id = ? AND status = 'running'", (now(), self._run_id))
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass
        self._release_run()
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- transactions
    def _transaction(self):
        return Transaction(self.db)

    # -- meta: the last run's seed
    def get_meta(self, key, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key, value):
        with self._transaction():
            self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                            "UPDATE SET value = excluded.value", (key, str(value)))

    # -- runs
    def begin_run(self, folder, seed, exercises, jobs) -> int:
        """Record a class run as running; GradebookBusy while another one writes here. A run
        still marked running when this one starts ended without finishing (killed, the
        machine stopped): it is marked interrupted."""
        self._hold_run()
        with self._transaction():
            self.db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
            cur = self.db.execute(
                "INSERT INTO runs(started_at, status, folder, seed, grader_version, exercises, "
                "jobs) VALUES (?, 'running', ?, ?, ?, ?, ?)",
                (now(), str(folder), seed, grader_version(), json.dumps(list(exercises)), jobs))
            self._run_id = cur.lastrowid
            return cur.lastrowid

    def finish_run(self, run_id, graded, skipped):
        with self._transaction():
            self.db.execute("UPDATE runs SET finished_at = ?, status = 'finished', graded = ?, "
                            "skipped = ? WHERE id = ?", (now(), graded, skipped, run_id))
        self._release_run()

    _run_lock = None     # the descriptor holding the gradebook's lock while a run writes
    _run_id = None       # the run it holds (closed before finish_run: marked interrupted)

    def _hold_run(self) -> None:
        """One class run at a time per gradebook: an exclusive lock on the gradebook file
        (flock: apart from SQLite's own locks), held from begin_run to finish_run or close, and
        released by the system when the process ends, however it ends."""
        if self._run_lock is not None:
            return
        import fcntl
        fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            row = self.db.execute("SELECT started_at, folder FROM runs WHERE status = 'running' "
                                  "ORDER BY id DESC LIMIT 1").fetchone()
            raise GradebookBusy(self.path, row) from None
        self._run_lock = fd

    def _release_run(self) -> None:
        if self._run_lock is not None:
            os.close(self._run_lock)       # closing the descriptor releases the lock
            self._run_lock = None

    def correct_times(self, student, found, content_hash=None, zone=None) -> list[str]:
        """Hand-in times of content already graded, read again by a run that did not regrade
        it (grader.classroom.first_handed.correct_times): the lines saying what changed.
        `content_hash`: her whole submission's now (a timestamps CSV's later time corrects
        that of work she has not changed since)."""
        with self._transaction():
            return correct_times(self.db, stored_name(student),
                                 {ex: (h, _moment_text(w), where)
                                  for ex, (h, w, where) in found.items()}, content_hash,
                                 zone)

    def csv_time_not_for(self, student, when, files, content_hash):
        """The exercises a timestamps CSV's time is not the hand-in time of (the time of other
        work of hers: grader.classroom.first_handed.csv_time_not_for)."""
        return csv_time_not_for(self.db, stored_name(student), _moment_text(when), files,
                                content_hash)

    def file_times_used(self, student, files) -> bool:
        """Will a file time be this student's hand-in time for any of `files` ({exercise: file
        hash}, the exercises this run read from file times)? Not where that very file has a
        time recorded from a more trusted source (a timestamps CSV, nbgrader's): it keeps it
        (first_handed_in), and the run's note on file times does not count her."""
        return bool(files) and len(self.kept_times(student, files, FROM_FILE)) < len(files)

    def kept_times(self, student, files, where) -> dict:
        """{exercise: (time, where from)} of `files` whose recorded time from a source more
        trusted than `where` stays (first_handed.first_handed_in)."""
        row = self.db.execute("SELECT id FROM students WHERE name = ?",
                              (stored_name(student),)).fetchone()
        if row is None:
            return {}
        kept = first_handed_in(self.db, row[0], files, {}, {ex: where for ex in files})
        return {ex: v for ex, v in kept.items() if rank(v[1]) > rank(where)}

    # -- submissions
    def to_grade(self, student, content_hash, exercises, device="all", seed=None) -> list[str]:
        """Which of `exercises` this exact submission (its content hash) has not been graded
        for yet with this grader version and device (and `seed`, when the instructor asked
        for one), in any run: a class run grades the student again only when one is left
        (ex02 graded last week is not graded again when this week's run asks for ex02 and ex03
        of the same files)."""
        same_seed = "" if seed is None else " AND s.seed = ?"
        done = {r["exercise"] for r in self.db.execute(
            "SELECT g.exercise FROM graded_exercises g JOIN submissions s "
            "ON s.id = g.submission_id JOIN students t ON t.id = s.student_id "
            "WHERE t.name = ? AND s.content_hash = ? AND s.grader_version = ? "
            "AND s.device = ?" + same_seed,
            (stored_name(student), content_hash, grader_version(), device)
            + (() if seed is None else (int(seed),)))}
        return [ex for ex in exercises if ex not in done]

    def graded_files(self, student, files, device="all", seed=None) -> set[str]:
        """The exercises of `files` ({exercise: its file's content hash}) whose very file this
        student handed in before and that was graded with this grader version and device
        (and `seed` if asked), whatever else her submission held: a week that changed ex02
        regrades ex02 alone."""
        same_seed = "" if seed is None else " AND s.seed = ?"
        out = set()
        for ex, digest in files.items():
            if digest and self.db.execute(
                    "SELECT 1 FROM graded_exercises g JOIN submissions s ON s.id = "
                    "g.submission_id JOIN students t ON t.id = s.student_id WHERE t.name = ? "
                    "AND g.exercise = ? AND g.file_hash = ? AND s.grader_version = ? AND "
                    "s.device = ?" + same_seed + " LIMIT 1",
                    (stored_name(student), ex, digest, grader_version(), device)
                    + (() if seed is None else (int(seed),))).fetchone():
                out.add(ex)
        return out

    def current(self, student, content_hash, exercises, device="all", seed=None) -> bool:
        """Is this exact submission already graded for every one of `exercises` with this
        grader version and device, and `seed` if one is asked (to_grade)? Then a class run
        skips it."""
        return not self.to_grade(student, content_hash, exercises, device, seed)

    def record(self, student: str, result: GradeResult, *, content_hash: str, run_id=None,
               source=None, device="all", notes=(), submitted_at=None, submitted_from=None,
               handed_in=None, handed_from=None, files=None) -> int:
        """Write one graded submission in ONE transaction: either all of it is in the
        gradebook, or none of it. Nothing earlier is replaced: the student's earlier
        submissions stay as history, and for each exercise a reading policy picks the one that
        counts (gradebook_read: the latest by default). `notes`: what the student should know
        about how the submission was read (e.g. a file left out). `submitted_at`: when it was
        handed in, if known (ISO 8601 text or a datetime; default: the latest of `handed_in`),
        `submitted_from` where that time came from (grader.classroom.handed_in: FROM_*), and
        `handed_in` {exercise: time} each exercise's own, `handed_from` {exercise: FROM_*}
        where each came from, and `files` {exercise: its file's content hash ('': no file)}.
        An exercise whose file content this student handed in before keeps the time it was
        first handed in (a regrade, or a week that changed another file, never makes it
        later), unless this time comes from a more trusted source (handed_in.RANK: a
        timestamps CSV corrects file times). Returns the submission's id.

        All of its text is made safe first (grader.sandbox.safetext; a result from grade_submission
        already is, and stays as it was): no student's text can make the write fail."""
        student, result = stored_name(student), safe_text(GradeResult.from_dict(result.to_dict()))
        source = clean(source if source is not None else result.submission, 4096, lines=False)
        notes = [clean(n, LINE, lines=False) for n in notes]
        handed_in = {ex: _moment_text(t) for ex, t in (handed_in or {}).items()}
        handed_from = {ex: clean(w, LINE, lines=False) for ex, w in (handed_from or {}).items()
                       if w}
        no_file = None if files is None else ""     # files given: one not in it has none
        files = {str(ex): str(h) for ex, h in (files or {}).items()}
        with self._transaction():
            self.db.execute("INSERT OR IGNORE INTO students(name) VALUES (?)", (student,))
            sid = self.db.execute("SELECT id FROM students WHERE name = ?",
                                  (student,)).fetchone()["id"]
            kept = first_handed_in(self.db, sid, files, handed_in, handed_from)
            if kept:
                handed_in.update({ex: when for ex, (when, _) in kept.items()})
                handed_from.update({ex: where for ex, (_, where) in kept.items()})
                if handed_from:
                    submitted_from = ", ".join(dict.fromkeys(handed_from.values()))
            if submitted_at is None and handed_in:
                submitted_at = max(handed_in.values(), key=lambda t: moment(t) or datetime.min)
            submitted_from = clean(submitted_from, LINE, lines=False) if submitted_from \
                else None
            cur = self.db.execute(
                "INSERT INTO submissions(student_id, run_id, source, content_hash, seed, "
                "grader_version, exercises, device, graded_at, seconds, score, max_score, "
                "missing_files, errors, stdout_chars, stdout_sample, notes, tampering, "
                "submitted_at, submitted_from) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, run_id, source, content_hash, int(result.seed), grader_version(),
                 json.dumps(list(result.exercises)), device, now(), result.seconds,
                 result.score, result.max_score, json.dumps(result.missing_files),
                 json.dumps(result.errors), result.stdout_chars, result.stdout_sample,
                 json.dumps(list(notes) + [n for n in result.notes if n not in notes]),
                 json.dumps(result.tampering), _moment_text(submitted_at), submitted_from))
            sub_id = cur.lastrowid
            self.db.executemany(
                f"INSERT INTO results(submission_id, position, score, {', '.join(CHECK_FIELDS)}) "
                f"VALUES (?, ?, ?{', ?' * len(CHECK_FIELDS)})",
                [(sub_id, i, c.score, *check_row(c)) for i, c in enumerate(result.checks)])
            # its score per exercise graded (an exercise with no check, e.g. a zip that could
            # not be read, counts 0 of 0: this grading of it is the latest all the same)
            per = {ex: [0.0, 0.0] for ex in result.exercises}
            for c in result.checks:
                per.setdefault(c.exercise, [0.0, 0.0])
                if c.counted:
                    per[c.exercise][0] += c.score
                    per[c.exercise][1] += c.points
            self.db.executemany(
                "INSERT INTO graded_exercises(submission_id, exercise, score, max_score, "
                "submitted_at, submitted_from, file_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(sub_id, ex, s, m, handed_in.get(ex),
                  handed_from.get(ex, submitted_from if handed_in.get(ex) else None),
                  files.get(ex, no_file)) for ex, (s, m) in per.items()])
        return sub_id
