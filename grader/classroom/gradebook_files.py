"""What a gradebook's path holds, and where a gradebook is kept.

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

import hashlib
import os
import re
import shutil
import sqlite3
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.classroom.gradebook_schema import SCHEMA, TABLES
from grader.sandbox import staging

DEFAULT = "gradebook.db"            # grade-class's and export's gradebook, in the current folder
APPLICATION_ID = 0x74644762         # 'tdGb' in the SQLite header: a gradebook of this grader
SIDECARS = ("-wal", "-shm", "-journal")   # what SQLite reads and writes beside a database
_TABLES = {"meta", "students", "runs", "submissions", "results"}   # in every version's


class OutputRefused(ValueError):
    """An output path (the gradebook, the CSV, the pages' folder) holds something that is not
    this grader's: nothing is written there. str() says what, for people."""


class GradebookBusy(OutputRefused):
    """Another class run is writing this gradebook now: nothing is graded by this one."""

    def __init__(self, path, running=None):
        since = f", started {running['started_at']} on {staging.shown(str(running['folder']))}" \
            if running else ""
        super().__init__(f"{staging.shown(str(path))}: another class run is writing this "
                         f"gradebook{since}; wait for it to finish, or give this run its own "
                         f"--db")


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
    tables, meta, damage = _read_alone(given)
    if damage and _wal_beside(given):
        damage = ""    # the file alone is not the whole database (a run writes, or was
        #                killed mid-checkpoint): SQLite reads it with its WAL, or refuses
    if damage:
        return Place(given, "taken", f"a damaged or unreadable SQLite database ({damage}), "
                                     f"not a gradebook that can be opened; left as it is")
    foreign = sorted(t for t in tables - TABLES if not t.startswith("sqlite_"))
    if (app == 0 and not _TABLES <= tables) or foreign:
        shown = ", ".join(staging.shown(t) for t in foreign[:5])
        return Place(given, "taken", "another program's SQLite database (nbgrader's gradebook "
                                     "has this name too), not a gradebook of this grader"
                                     + (f": it holds tables of its own ({shown})" if foreign
                                        else ""))
    if app == APPLICATION_ID and meta.get("place") == str(st.st_ino):
        place = Place(given, "ours", real=given)
    else:
        place = Place(given, "moved", real=given, what=(
            "a gradebook not written at this place by this grader (a copy, a moved gradebook, "
            "one from a version before gradebooks were marked, or someone else's file)"))
    place.blocked = _beside(given, meta.get("sidecars", "").split() if place.state == "ours"
                            else ())
    return place


def _read_alone(path: Path) -> tuple[set, dict, str]:
    """The table names and the meta rows of the database file alone: immutable, so SQLite
    neither locks nor reads nor writes any file beside it; and what is damaged ('' if
    nothing: its pages pass SQLite's quick_check), so that a damaged file is never opened
    for writing."""
    tables, meta = set(), {}
    try:
        con = sqlite3.connect(path.as_uri() + "?immutable=1&mode=ro", uri=True)
    except (sqlite3.Error, ValueError) as exc:
        return tables, meta, str(exc) or type(exc).__name__
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" in tables:
            meta = {str(k): str(v) for k, v in con.execute(
                "SELECT key, value FROM meta WHERE key IN ('place', 'sidecars', 'pages')")}
        check = [r[0] for r in con.execute("PRAGMA quick_check(3)")]
        damage = "" if check == ["ok"] else "; ".join(
            line for c in check for line in str(c).splitlines()
            if line.strip() and not line.startswith("***"))[:200] or "damaged"
    except sqlite3.Error as exc:
        damage = str(exc) or type(exc).__name__
    finally:
        con.close()
    return tables, meta, damage


def _wal_beside(path: Path) -> bool:
    try:
        return os.lstat(f"{path}-wal").st_size > 0
    except OSError:
        return False


def _beside(path: Path, recorded) -> str:
    """'' when every file SQLite would use beside the gradebook is absent or its own; else why
    not. A -wal or -shm file is the gradebook's when a live connection holds a lock on it, or
    when the gradebook recorded its inode as a connection opened and no connection closed
    since (a run that was killed: its results are in the -wal); a -journal never is (it is a
    WAL gradebook). A -wal no lock is ever held on is the gradebook's while a process that
    holds a lock on its -shm has that very file open (a live reader, an SQLite browser or a
    script, made it after the last run closed: it is no run, and a run starts beside it). A
    file put there after the gradebook closed is never read: its record is cleared as it
    closes (a new file often gets the inode of one just removed)."""
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
        if suffix == "-wal" and _in_use(st, Path(f"{path}-shm")):
            continue
        if suffix != "-journal" and not os.path.lexists(side):
            continue     # gone meanwhile: the last connection closed and SQLite removed it
        return (f"{staging.shown(side.name)} beside it was not left there by this grader "
                f"(another program using the gradebook? close it and run again)")
    return ""


def _locked(st: os.stat_result) -> bool:
    """Does a process hold a lock on this file (Linux: /proc/locks)? A live SQLite connection
    holds one on the -shm file it uses."""
    return bool(_lock_lines(st))


def _lock_lines(st: os.stat_result) -> list[list[str]]:
    """The lines of /proc/locks (split) that lock this file: [], where none or not Linux."""
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return [line.split() for line in text.splitlines() if dev in line.split()]


def run_holds(path) -> bool:
    """Does a class run hold this gradebook now (its flock on the file: Gradebook._hold_run)?"""
    try:
        locks = _lock_lines(os.stat(path))
    except OSError:
        return False
    return any("FLOCK" in line for line in locks)


def _in_use(wal: os.stat_result, shm: Path) -> bool:
    """Is `wal` the write-ahead log of a live SQLite connection to this gradebook: open in a
    process that holds a lock on the gradebook's -shm (SQLite keeps both open and the -shm
    locked while a connection lives)? Processes this user cannot see count as none."""
    try:
        locks = _lock_lines(os.lstat(shm))
    except OSError:
        return False
    pids = {line[4] for line in locks if len(line) > 4 and line[4].isdigit()}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (wal.st_dev, wal.st_ino):
                return True
    return False


def create(path: Path) -> None:
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

