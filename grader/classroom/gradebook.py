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

A gradebook is told apart by identity, never by its name: the name `gradebook.db` can be taken by
a student's folder, nbgrader's own gradebook or any file. This grader's gradebook carries its
mark in the SQLite header (PRAGMA application_id) and the inode it was written at (meta `place`),
which no file handed in can know; it is made whole in a private folder and linked into place, so
it never exists half-made. `inspect(path)` says what a path holds without opening it for writing:
"free", "ours", "moved" (a gradebook of this grader not written at that place: a copy, a moved
one, an earlier version's, or a forgery) or "taken" (anything else: a folder, a link, another
program's database, a student's file), and whether a file SQLite would read beside it (-wal, -shm,
-journal) is not the gradebook's own. `Gradebook(path)` opens only "ours" (and creates "free");
"moved" with adopt=True, after which it is ours at its new place. Anything else raises
NotAGradebook, and nothing at the path is written, read as grades or removed.
"""
from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import sys
import tempfile
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

from grader.exercises import EXERCISES
from grader.engine.result import CheckResult, GradeResult
from grader.engine.runner import safe_text
from grader.sandbox.safetext import LINE, clean
from grader.sandbox import staging

ROOT = Path(__file__).resolve().parents[2]

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
    with the file's place where it matters (_place)."""
    data = path.read_bytes()
    if path.suffix != ".py":
        return [place + hashlib.blake2b(data, digest_size=16).digest()]
    text = data.decode("utf-8", "surrogateescape")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return [hashlib.blake2b(data, digest_size=16).digest()]
    out = []
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            continue
        segment = ast.get_source_segment(text, node, padded=True) or ""
        out.append(place + hashlib.blake2b(segment.encode("utf-8", "surrogateescape"),
                                           digest_size=16).digest())
    return out or [place]


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


# ----------------------------------------------------------------------------------------------
# what a gradebook's path holds

DEFAULT = "gradebook.db"            # grade-class's and export's gradebook, in the current folder
APPLICATION_ID = 0x74644762         # 'tdGb' in the SQLite header: a gradebook of this grader
SIDECARS = ("-wal", "-shm", "-journal")   # what SQLite reads and writes beside a database
_TABLES = {"meta", "students", "runs", "submissions", "results"}


class OutputRefused(ValueError):
    """An output path (the gradebook, the CSV, the pages' folder) holds something that is not
    this grader's: nothing is written there. str() says what, for people."""


class NotAGradebook(OutputRefused):
    """The path holds something that is not this grader's gradebook (see inspect)."""

    def __init__(self, place: "Place"):
        shown = staging.shown(str(place.path))
        if place.state == "free":
            text = f"{shown}: no gradebook could be made there"
        elif place.state in ("ours", "moved") and place.blocked:
            text = f"{shown}: {place.blocked}"
        else:
            text = f"{shown} is {place.what}"
        super().__init__(text)
        self.place = place


@dataclass
class Place:
    """What a gradebook's path holds (inspect)."""

    path: Path           # the path, absolute (its link, if it is one, not resolved)
    state: str           # "free", "ours", "moved" or "taken"
    what: str = ""       # for people: what is there ("a folder", ...)
    blocked: str = ""    # a file beside it that SQLite would read or write, and is not the
                         # gradebook's (a folder called gradebook.db-wal, ...): why
    real: Path | None = None   # the file itself (a link to this grader's gradebook resolved)

    @property
    def usable(self) -> bool:
        return self.state == "ours" and not self.blocked


def inspect(path) -> Place:
    """What `path` holds, read without following a link to write, waiting on a FIFO, or
    letting SQLite touch anything beside it (the database is read as one immutable file)."""
    given = Path(os.path.abspath(path))
    try:
        st = os.lstat(given)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return Place(given, "taken", f"unreadable ({exc.strerror or exc})")
    if st is not None and stat.S_ISLNK(st.st_mode):
        real = Path(os.path.realpath(given))
        target = inspect(real) if real != given else None
        if target is not None and target.state == "ours":   # a link the instructor made
            target.path = given
            return target
        return Place(given, "taken", "a symbolic link, not a gradebook")
    if st is None:
        beside = [s for s in SIDECARS if os.path.lexists(f"{given}{s}")]
        if beside:
            return Place(given, "taken", f"free, but {staging.shown(given.name + beside[0])} "
                                         f"lies there without a gradebook")
        return Place(given, "free", real=given)
    if not stat.S_ISREG(st.st_mode):
        return Place(given, "taken", f"{staging.kind_of(st.st_mode)}, not a gradebook")
    try:
        header = staging.read_head(given, 100)
    except (staging.Refused, OSError) as exc:
        return Place(given, "taken", f"a file that cannot be read ({exc})")
    if not header:
        return Place(given, "taken", "an empty file, not a gradebook")
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return Place(given, "taken", "a file that is not a gradebook (not an SQLite database)")
    app = int.from_bytes(header[68:72], "big")
    if app not in (0, APPLICATION_ID):
        return Place(given, "taken", "another program's SQLite database, not a gradebook")
    tables, meta = _read_alone(given)
    if app == 0 and not _TABLES <= tables:
        return Place(given, "taken", "another program's SQLite database (nbgrader's gradebook "
                                     "has this name too), not a gradebook of this grader")
    if app == APPLICATION_ID and meta.get("place") == str(st.st_ino):
        place = Place(given, "ours", real=given)
    else:
        place = Place(given, "moved", real=given, what=(
            "a gradebook not written at this place by this grader (a copy, a moved gradebook, "
            "one from a version before gradebooks were marked, or someone else's file)"))
    place.blocked = _beside(given, meta.get("sidecars", "").split() if place.state == "ours"
                            else ())
    return place


def _read_alone(path: Path) -> tuple[set, dict]:
    """The table names and the meta rows of the database file alone: immutable, so SQLite
    neither locks nor reads nor writes any file beside it."""
    tables, meta = set(), {}
    try:
        con = sqlite3.connect(path.as_uri() + "?immutable=1&mode=ro", uri=True)
    except (sqlite3.Error, ValueError):
        return tables, meta
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" in tables:
            meta = {str(k): str(v) for k, v in con.execute(
                "SELECT key, value FROM meta WHERE key IN ('place', 'sidecars', 'pages')")}
    except sqlite3.Error:
        pass
    finally:
        con.close()
    return tables, meta


def _beside(path: Path, recorded) -> str:
    """'' when every file SQLite would use beside the gradebook is absent or its own; else why
    not. A -wal or -shm file is the gradebook's when a live connection holds a lock on it, or
    when the gradebook recorded its inode as a connection opened and no connection closed
    since (a run that was killed: its results are in the -wal); a -journal never is (it is a
    WAL gradebook). A file put there after the gradebook closed is never read: its record is
    cleared as it closes (a new file often gets the inode of one just removed)."""
    for suffix in SIDECARS:
        side = Path(f"{path}{suffix}")
        try:
            st = os.lstat(side)
        except FileNotFoundError:
            continue
        except OSError as exc:
            return f"{staging.shown(side.name)} beside it cannot be read ({exc.strerror})"
        if not stat.S_ISREG(st.st_mode):
            return f"{staging.shown(side.name)} beside it is {staging.kind_of(st.st_mode)}"
        if suffix != "-journal" and (str(st.st_ino) in recorded or _locked(st)):
            continue
        return (f"{staging.shown(side.name)} beside it was not left there by this grader "
                f"(another program using the gradebook? close it and run again)")
    return ""


def _locked(st: os.stat_result) -> bool:
    """Does a process hold a lock on this file (Linux: /proc/locks)? A live SQLite connection
    holds one on the -shm file it uses."""
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return any(dev in line.split() for line in text.splitlines())


def _create(path: Path) -> None:
    """Make an empty gradebook at `path`, which holds nothing: whole, in a private folder beside
    it, then linked into place (never over anything that appeared there meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".gradebook-", dir=path.parent))
    try:
        tmp = folder / "gradebook.db"
        con = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)
            con.execute("INSERT INTO meta(key, value) VALUES ('place', ?)",
                        (str(os.stat(tmp).st_ino),))
        finally:
            con.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass                          # made meanwhile (another run): inspected again
        except OSError:                   # no hard links here (some network file systems)
            if not os.path.lexists(path):
                os.rename(tmp, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def state_home() -> Path:
    """Where this grader keeps what is its own on this machine (per user)."""
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "torchdrills"


def kept_path(here) -> Path:
    """Where the default gradebook of the folder holding `here` is kept when `here` is taken
    (a student's folder named gradebook.db, nbgrader's gradebook, ...): a private folder of
    this user's, one per folder, found again by every later run and export from there."""
    here = Path(os.path.abspath(here))
    raw = os.fsencode(str(here))
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", here.parent.name)[:40].strip("._-") or "folder"
    return state_home() / "gradebooks" / \
        f"{label}-{hashlib.blake2b(raw, digest_size=8).hexdigest()}" / "gradebook.db"


def _private_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass


def copy_gradebook(source, dest) -> None:
    """Copy this grader's gradebook at `source` (read as one immutable file: nothing beside it
    is read or written) to `dest`, which holds nothing; the copy is then a "moved" gradebook,
    for Gradebook(dest, adopt=True)."""
    dest = Path(dest)
    _private_folder(dest.parent)
    folder = Path(tempfile.mkdtemp(prefix=".gradebook-", dir=dest.parent))
    try:
        tmp = folder / "gradebook.db"
        src = sqlite3.connect(Path(os.path.abspath(source)).as_uri() + "?immutable=1&mode=ro",
                              uri=True)
        try:
            out = sqlite3.connect(str(tmp))
            try:
                src.backup(out)
            finally:
                out.close()
        finally:
            src.close()
        try:
            os.link(tmp, dest)
        except FileExistsError:
            raise OutputRefused(f"{staging.shown(str(dest))} appeared meanwhile") from None
        except OSError:                   # no hard links here
            if os.path.lexists(dest):
                raise
            os.rename(tmp, dest)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


class Gradebook:
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
            _create(place.path)
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
        self.db.executescript(SCHEMA)
        columns = {r["name"] for r in self.db.execute("PRAGMA table_info(submissions)")}
        if "notes" not in columns:   # a gradebook written before notes were kept
            self.db.execute("ALTER TABLE submissions ADD COLUMN notes TEXT")
        if "tampering" not in columns:   # written before sources were reviewed
            self.db.execute("ALTER TABLE submissions ADD COLUMN tampering TEXT")
        checks = {r["name"] for r in self.db.execute("PRAGMA table_info(results)")}
        if "hints" not in checks:
            self.db.execute("ALTER TABLE results ADD COLUMN hints TEXT")
        if "facts" not in checks:
            self.db.execute("ALTER TABLE results ADD COLUMN facts INTEGER")
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
        own (by identity, classrun.Outputs) in a listing of the class folder."""
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

        All of its text is made safe first (grader.sandbox.safetext; a result from grade_submission
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
                "missing_files, errors, stdout_chars, stdout_sample, notes, tampering) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, run_id, source, content_hash, int(result.seed), grader_version(),
                 json.dumps(list(result.exercises)), device, _now(), result.seconds,
                 result.score, result.max_score, json.dumps(result.missing_files),
                 json.dumps(result.errors), result.stdout_chars, result.stdout_sample,
                 json.dumps(list(notes) + [n for n in result.notes if n not in notes]),
                 json.dumps(result.tampering)))
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

    def filed(self) -> list[tuple[str, str, str | None]]:
        """(student, source, folder of the run that graded it) of every graded submission, in
        the order the students were first filed (a class run: who keeps a name, who left)."""
        return [(r["name"], r["source"] or "", r["folder"]) for r in self.db.execute(
            "SELECT t.name, s.source, r.folder FROM students t JOIN submissions s "
            "ON s.student_id = t.id LEFT JOIN runs r ON r.id = s.run_id ORDER BY t.id")]

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
                           errors=json.loads(sub["errors"] or "[]"),
                           tampering=json.loads(sub.get("tampering") or "[]"))

    def notes(self, student) -> list[str]:
        sub = self.submission(student)
        return json.loads(sub["notes"] or "[]") if sub else []

    def results(self) -> dict[str, GradeResult]:
        return {name: self.result(name) for name in self.students()}

    def to_review(self) -> dict[str, str]:
        """The students whose submission's source reaches into what grades it (grader.engine.review),
        with the first place found and how many: points that rest on facts measured in the
        submission's own process are withheld until a person reviews it."""
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


def _check_row(c: CheckResult) -> tuple:
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


def _check_of(row) -> CheckResult:
    """A row of `results` back as the CheckResult it was written from."""
    values = {name: row[name] for name in CHECK_FIELDS}
    for name in JSON_FIELDS:
        values[name] = json.loads(values[name]) if values[name] else []
    values["visible"] = bool(values["visible"])
    values["facts"] = bool(values["facts"])
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
