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

A gradebook is told apart by identity, never by its name (grader.classroom.gradebook_files:
inspect, where it is kept). Here: the Gradebook, which writes a class run (its runs, each graded
submission, the class seed) and reads through grader.classroom.gradebook_read (a student's
result, the class table, the CSV); the schema is grader.classroom.gradebook_schema's; and the
grader's version (what decides a score: a new version regrades a class).
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import sqlite3
from pathlib import Path

from grader.classroom.gradebook_files import (APPLICATION_ID, DEFAULT, SIDECARS, NotAGradebook,
                                              OutputRefused, Place, copy_gradebook, create,
                                              inspect, kept_path, state_home)
from grader.classroom.gradebook_read import Reading
from grader.classroom.gradebook_schema import (CHECK_FIELDS, Transaction, check_row, migrate,
                                               now, stored_name)
from grader.engine.result import GradeResult
from grader.engine.runner import safe_text
from grader.sandbox import staging
from grader.sandbox.safetext import LINE, clean

# The gradebook's names, wherever they live (callers import them from here).
__all__ = ["DEFAULT", "SIDECARS", "Gradebook", "NotAGradebook", "OutputRefused", "Place",
           "copy_gradebook", "default_gradebook", "grader_version", "inspect", "kept_path",
           "scoring_digest", "scoring_files", "state_home", "SCORING"]

ROOT = Path(__file__).resolve().parents[2]

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
    "grader/**/numeric.py", "grader/**/compare/**/*.py", "grader/**/expected.py",
    "grader/**/reference.py", "grader/**/steps.py", "grader/**/datasets.py",
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
    """A digest (`size` bytes, in hex) of what decides a score (scoring_files), by content:
    each Python file counts as its top-level definitions and statements, imports and the
    module's docstring left out (their text as written), every other file as its bytes, with
    its place only where the place decides a score (a check's, a reference's, a data set's:
    _place); the digest is taken over them sorted, so that moving an engine module, splitting
    one or merging two, as long as no definition changes, keeps the grader's version (a class
    graded before is not regraded). grader_version shows 4 bytes of it; the reference table
    is tied to 8."""
    units = sorted(u for p in scoring_files(root) for u in _scoring_units(p, _place(p, root)))
    digest = hashlib.blake2b(digest_size=size)
    for unit in units:
        digest.update(unit + b"\0")
    return digest.hexdigest()


def _place(path: Path, root: Path) -> bytes:
    """Where a scoring file lies, where its place decides a score: a check file's place in the
    checks (visible or hidden, which exercise), a reference's and a data set's name. The
    engine's files count by content alone."""
    rel = path.relative_to(root).as_posix()
    for where in ("grader/checks/", "solutions/", "grader/data/"):
        if rel.startswith(where):
            return rel.encode()
    return b""


def _scoring_units(path: Path, place: bytes = b"") -> list[bytes]:
    """The digests of what in one scoring file decides a score (see scoring_digest), each
    with the file's place where it matters (_place). A Python file's are kept by its content
    (_units_seen): a run asks for the digest with each reference table it writes or loads."""
    data = path.read_bytes()
    if path.suffix != ".py":
        return [place + hashlib.blake2b(data, digest_size=16).digest()]
    key = (place, hashlib.blake2b(data, digest_size=16).digest())
    if key not in _units_seen:
        _units_seen[key] = _python_units(data, place)
    return list(_units_seen[key])


# The units of the Python files read so far, by (place, digest of the content): parsing every
# scoring file costs about half a second, and a class run asks for the digest again and again.
_units_seen: dict[tuple, list[bytes]] = {}


def _python_units(data: bytes, place: bytes) -> list[bytes]:
    """_scoring_units of a Python file's bytes: its top-level definitions and statements,
    imports and the module's docstring left out, each as written (ast.get_source_segment's
    text, padded)."""
    text = data.decode("utf-8", "surrogateescape")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return [hashlib.blake2b(data, digest_size=16).digest()]
    lines = _LINES.findall(text)
    out = []
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            continue
        segment = _segment(lines, node)
        out.append(place + hashlib.blake2b(segment.encode("utf-8", "surrogateescape"),
                                           digest_size=16).digest())
    return out or [place]


# A source's lines as ast cuts them (its _splitlines_no_ff): at \r\n, \r or \n, ends kept.
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _segment(lines: list[str], node) -> str:
    """ast.get_source_segment(text, node, padded=True) or "", from the text's lines cut once
    (ast cuts the whole text again for each node: quadratic in a file's length)."""
    if getattr(node, "end_lineno", None) is None or getattr(node, "end_col_offset", None) is None:
        return ""
    first, last = node.lineno - 1, node.end_lineno - 1
    start, end = node.col_offset, node.end_col_offset
    if first == last:
        return lines[first].encode()[start:end].decode()
    head = lines[first].encode()
    padding = "".join(c if c in "\f\t" else " " for c in head[:start].decode())
    return (padding + head[start:].decode() + "".join(lines[first + 1:last])
            + lines[last].encode()[:end].decode())


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
        if not place.usable:
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
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        # WAL: readers never block the writer; NORMAL: each commit survives the process being
        # killed (it could only be lost with the whole machine).
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        migrate(self.db)
        self._mark()

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
        inode). One left by a killed run stays vouched for: its record was never cleared."""
        try:
            with self._transaction():
                self.db.execute("UPDATE meta SET value = '' WHERE key = 'sidecars'")
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- transactions
    def _transaction(self):
        return Transaction(self.db)

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
                (now(), str(folder), seed, grader_version(), json.dumps(list(exercises)), jobs))
            return cur.lastrowid

    def finish_run(self, run_id, graded, skipped):
        with self._transaction():
            self.db.execute("UPDATE runs SET finished_at = ?, status = 'finished', graded = ?, "
                            "skipped = ? WHERE id = ?", (now(), graded, skipped, run_id))

    # -- submissions
    def current(self, student, content_hash, seed, exercises, device="all") -> bool:
        """Is this exact submission already graded with this seed, grader version, exercise
        list and device? Then a class run skips it."""
        row = self.db.execute(
            "SELECT s.content_hash, s.seed, s.grader_version, s.exercises, s.device "
            "FROM submissions s JOIN students t ON t.id = s.student_id WHERE t.name = ?",
            (stored_name(student),)).fetchone()
        return row is not None and row["content_hash"] == content_hash and \
            row["seed"] == seed and row["grader_version"] == grader_version() and \
            json.loads(row["exercises"]) == list(exercises) and row["device"] == device

    def record(self, student: str, result: GradeResult, *, content_hash: str, run_id=None,
               source=None, device="all", notes=()) -> None:
        """Write one graded submission, replacing the student's previous one, in ONE
        transaction: either all of it is in the gradebook, or none of it. `notes`: what the
        student should know about how the submission was read (e.g. a file left out).

        All of its text is made safe first (grader.sandbox.safetext; a result from grade_submission
        already is, and stays as it was): no student's text can make the write fail."""
        student, result = stored_name(student), safe_text(GradeResult.from_dict(result.to_dict()))
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
                "missing_files, errors, stdout_chars, stdout_sample, notes, tampering) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, run_id, source, content_hash, int(result.seed), grader_version(),
                 json.dumps(list(result.exercises)), device, now(), result.seconds,
                 result.score, result.max_score, json.dumps(result.missing_files),
                 json.dumps(result.errors), result.stdout_chars, result.stdout_sample,
                 json.dumps(list(notes) + [n for n in result.notes if n not in notes]),
                 json.dumps(result.tampering)))
            sub_id = cur.lastrowid
            self.db.executemany(
                f"INSERT INTO results(submission_id, position, score, {', '.join(CHECK_FIELDS)}) "
                f"VALUES (?, ?, ?{', ?' * len(CHECK_FIELDS)})",
                [(sub_id, i, c.score, *check_row(c)) for i, c in enumerate(result.checks)])
