"""Staging: how a submission's files enter the grader. One path for every entry point: `grade`
(sandbox.Submission), `grade-class` (classrun.gather), notebooks and the Gradescope runner.

    notes = []
    modules = stage_submission(Path("alice/"), workdir, notes)   # {module: file in workdir}

Everything a submission brings is untrusted data: its bytes, its names, its links. So:

  - only regular files are read, and no symbolic link is ever followed: not an exercise file,
    not a folder (the single folder a zip unpacks into included), not the submission itself.
    Every folder and file is opened relative to its parent's descriptor with O_NOFOLLOW, and
    the opened descriptor is checked with fstat (S_ISREG), so a link, a FIFO (which would block
    the grader), a device (/dev/zero) or a /proc file swapped in between a check and the open
    is refused, never read. A /proc file reports size 0 and then yields data: a file whose
    bytes do not match its size is refused too. (A hard link is a regular file: its bytes are
    the student's to hand in, and it is copied like any other file.)
  - sizes are capped (a file, and the exercise files in total); at most the cap plus one byte
    is read. A zip is never unpacked to disk: its members are read, capped, one by one, and
    before zipfile reads its central directory (all of it, into memory), the zip's size, the
    directory's declared size and entry count and the entries it really holds are checked
    against the caps (zip_directory), reading only the zip's end and that directory.
  - odd names (bytes that are not UTF-8, control characters, very long names) are refused;
    notes name entries escaped (`shown`), so no name can reach a terminal or a page raw.
  - a refusal, or a file that cannot be read, is a note for that exercise: its module raises
    ImportError with the note (the exercise scores zero, the note is shown) and every other
    exercise is graded. Nothing here raises for a student's input.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path, PurePosixPath

from grader.exercises import EXERCISES, module_of

MAX_DEPTH = 3                    # folder levels looked into below a submission's folder or zip
MAX_FILE_BYTES = 20 * 1024**2    # one exercise file (a notebook with outputs can be large)
MAX_TOTAL_BYTES = 100 * 1024**2  # all exercise files of one submission
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_BYTES = 1024**3          # a zip handed in (it is read member by member, never whole)
MAX_ZIP_DIRECTORY_BYTES = 10 * 1024**2   # its central directory (its list of entries), which
                                         # zipfile reads whole, and parses entry by entry
MAX_DIR_ENTRIES = 10_000         # entries looked at in a submission's folders
MAX_NAME_CHARS = 128             # one file or folder name
MAX_NOTES = 20                   # notes about one submission's files; then a count
# Folders never looked into: what archivers and editors leave (and any hidden name). A folder
# of any other name in a submission is the student's, looked into like any other.
SKIP_DIRS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}

_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
# O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: a terminal never becomes ours
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | \
    getattr(os, "O_CLOEXEC", 0)


LINK = "a symbolic link (links are not followed: hand in the file itself)"


class Refused(ValueError):
    """A file or a submission the grader does not read; str() says why, for people."""


# ----------------------------------------------------------------------------------------------
# names

def shown(name, quote=True, limit=80) -> str:
    """A name as notes show it: bytes that are not UTF-8 as \\xNN, control and invisible
    characters escaped, at most `limit` characters; quoted unless quote=False."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    out = []
    for ch in str(name):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:      # a byte that is not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\\" or (quote and ch == "'"):
            out.append("\\" + ch)
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    text = "".join(out)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return f"'{text}'" if quote else text


def printable(text) -> str:
    """Text (a path) as it may be stored and shown: itself when it is plain, else escaped."""
    text = os.fspath(text) if not isinstance(text, str) else text
    text = text.decode("utf-8", "surrogateescape") if isinstance(text, bytes) else text
    if all(ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return text
    return shown(text, quote=False, limit=4096)


def name_problem(name: str) -> str:
    """'' for a name the grader accepts, else what is wrong with it."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        return "its name is not valid UTF-8"
    if not all(ch.isprintable() for ch in name):
        return "its name holds control or invisible characters"
    if len(name) > MAX_NAME_CHARS:
        return f"its name is longer than {MAX_NAME_CHARS} characters"
    return ""


def safe_label(name: str) -> str:
    """A name to file a submission under (a student's folder or zip): itself when it is a
    plain name, else escaped (a long one cut, with a hash of the whole so that two stay two)."""
    if not name_problem(name):
        return name
    text = shown(name, quote=False, limit=10**6)
    if len(text) > 60:
        raw = name.encode("utf-8", "surrogateescape")
        text = text[:60] + "~" + hashlib.blake2b(raw, digest_size=4).hexdigest()
    return text


def exercise_of(name: str) -> str | None:
    """'ex02_gradient_descent.ipynb' -> 'ex02'; None for anything that is not an exercise."""
    suffix = PurePosixPath(name).suffix
    if suffix not in (".py", ".ipynb") or name[:2] != "ex" or not name[2:4].isdigit():
        return None
    return name[:4] if name[:4] in EXERCISES else None


def assignment_exercise(name: str) -> str | None:
    """The exercise an nbgrader assignment folder holds, by its name: the exercise's module
    name ('ex01_linear_model', as `release` names the assignments) or its number ('ex01');
    None for any other folder."""
    key = name[:4]
    return key if key in EXERCISES and name in (key, EXERCISES[key]) else None


# ----------------------------------------------------------------------------------------------
# a class folder, and nbgrader's course layout

# Entries of a class folder that are no student's: what archivers, editors, version control and
# file browsers leave. Left out without a note. Any other name is a student's, '__bob' included;
# a name that starts with '.' is hidden (ls, Finder, Explorer do not show it): left out, with a
# note (class_listing), never silently.
NOT_STUDENTS = frozenset({
    "__MACOSX", "__pycache__", ".ipynb_checkpoints", ".DS_Store", ".git", ".hg", ".svn",
    ".Trashes", ".Spotlight-V100", ".fseventsd", ".TemporaryItems", ".DocumentRevisions-V100",
    ".AppleDouble", ".AppleDB", ".vscode", ".idea", ".venv", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".cache"})
# ... and these beginnings: macOS's resource forks ('._alice.zip'), a Linux trash folder, the
# folder the gradebook is made in before it is linked into place (gradebook._create), when a
# killed run left it
NOT_STUDENTS_START = ("._", ".Trash-", ".gradebook-")
# What an nbgrader course folder holds beside submitted/: its folders, and the file that makes
# it one (a student's entry is a folder or a zip, never a plain file). Not gradebook.db, though
# nbgrader writes one: grade-class's own gradebook has that name, and it lies in the class
# folder when grade-class runs there (a folder 'submitted' then took over the whole class).
NBGRADER_COURSE = frozenset({"source", "release", "autograded", "feedback", "exchange"})
NBGRADER_FILES = ("nbgrader_config.py",)
NBGRADER_STAMP = "timestamp.txt"   # nbgrader's submit writes it into every assignment handed in


def not_a_student(name: str) -> bool:
    """Is this entry of a class folder what a tool left there (NOT_STUDENTS)?"""
    return name in NOT_STUDENTS or name.startswith(NOT_STUDENTS_START)


def hidden(name: str) -> bool:
    """A hidden name ('.alice'): left out of a class, with a note."""
    return name.startswith(".")


def class_listing(folder) -> tuple[list, list]:
    """(entries, hidden) of a class folder, each sorted: entries are (path, is_dir) of every
    folder or .zip that could be a student's (a link: what it points to), NOT_STUDENTS left
    out; hidden are the folders and zips whose name starts with '.', left out (the caller
    says so)."""
    entries, hidden_ = [], []
    for p in sorted(Path(folder).iterdir()):
        if not_a_student(p.name):
            continue
        try:
            is_dir, is_file = p.is_dir(), p.is_file()
        except OSError:
            continue
        if not (is_dir or (is_file and p.suffix.lower() == ".zip")):
            continue
        if hidden(p.name):
            hidden_.append(p)
        else:
            entries.append((p, is_dir))
    return entries, hidden_


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def beside_submitted(course) -> list[Path]:
    """The entries of `course`, other than submitted/ and nbgrader's own folders, that could
    be a student's."""
    return [p for p, _ in class_listing(course)[0]
            if p.name != "submitted" and p.name not in NBGRADER_COURSE]


def nbgrader_course(course) -> bool:
    """Is `course` an nbgrader course folder: a submitted/ folder (not a link), and beside it
    nbgrader's configuration (nbgrader_config.py: no student's entry is a plain file) or
    nothing that could be a student's entry (only nbgrader's own folders)? A student who
    names her folder 'submitted' is one student of a class, not the whole class."""
    course = Path(course)
    submitted = course / "submitted"
    return submitted.is_dir() and not submitted.is_symlink() and (
        any(_plain_file(course / name) for name in NBGRADER_FILES)
        or not beside_submitted(course))


def nbgrader_layout(source, tops: dict) -> bool:
    """Do assignment boundaries hold for this submission: is `source` (a folder or a zip) a
    student's entry in nbgrader's submitted/STUDENT/ASSIGNMENT/ tree? `tops`: its top folders,
    each with whether it holds nbgrader's timestamp.txt.

    Yes when it lies in the submitted/ folder of an nbgrader course (nbgrader_course: with
    nbgrader_config.py, or nothing but nbgrader's folders beside submitted/), whatever it
    holds; or when a top folder of it is an exercise's assignment (exNN_name/ or exNN/) and
    it lies in a folder named 'submitted' or that assignment holds timestamp.txt. So the
    boundary holds however the grader is pointed at the course (the course, its submitted/
    folder, one student's folder, with or without nbgrader_config.py), and a plain class's
    student who keeps her files in folders of her own choosing is graded by the plain rule.
    A student in nbgrader cannot turn it off: nbgrader makes her top folders, one per
    assignment handed in."""
    source = Path(os.path.abspath(source))
    parent = source.parent
    if parent.name == "submitted" and nbgrader_course(parent.parent):
        return True
    assignments = [t for t in tops if assignment_exercise(t)]
    return bool(assignments) and (parent.name == "submitted"
                                  or any(tops[t] for t in assignments))


def one_assignment(source, stamped: bool) -> str | None:
    """The exercise of `source` when it is one assignment folder of an nbgrader student
    (submitted/STUDENT/exNN_name, or an assignment folder holding timestamp.txt): only that
    exercise is graded from it. None otherwise."""
    source = Path(os.path.abspath(source))
    ex = assignment_exercise(source.name)
    if ex and (source.parent.parent.name == "submitted" or stamped):
        return ex
    return None


def nbgrader_student(source) -> bool:
    """Is `source` a student's folder in nbgrader's submitted/ tree (nbgrader_layout, its top
    folders read here)? collect() decides the same as it reads a submission."""
    source = Path(source)
    if not source.is_dir() or source.is_symlink():
        return False
    tops = {}
    try:
        for top in os.scandir(source):
            if top.is_dir(follow_symlinks=False) and not _skipped_dir(top.name):
                tops[top.name] = _plain_file(Path(top.path) / NBGRADER_STAMP)
    except OSError:
        return False
    return nbgrader_layout(source, tops)


def _skipped_dir(name: str) -> bool:
    return name.startswith((".", "__")) or name in SKIP_DIRS


def _size(n: int) -> str:
    return f"{n >> 20} MB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n} bytes"


# ----------------------------------------------------------------------------------------------
# reading one regular file

def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return what
    return "not a regular file"


kind_of = _kind   # what a file's mode says it is, for people ("a folder", "a FIFO (named pipe)")


def _open_error(exc: OSError, name: str) -> Refused:
    import errno
    if exc.errno == errno.ELOOP:
        return Refused(LINK)
    if exc.errno in (errno.ENOTDIR, errno.EISDIR):
        return Refused("not a regular file")
    return Refused(f"could not be read ({exc.strerror or exc})")


def read_fd(fd: int, cap: int) -> bytes:
    """The bytes of an open regular file, at most `cap` (Refused otherwise); reads at most
    cap + 1 bytes. Refused when the descriptor is not a regular file, or when the bytes do not
    match the file's size (a /proc file: size 0, then data)."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"{_kind(st.st_mode)}, not a regular file")
    if st.st_size > cap:
        raise Refused(f"larger than {_size(cap)}")
    chunks, got = [], 0
    while got <= cap:
        block = os.read(fd, min(1 << 20, cap + 1 - got))
        if not block:
            break
        chunks.append(block)
        got += len(block)
    if got > cap:
        raise Refused(f"larger than {_size(cap)}")
    if got != st.st_size:
        raise Refused("not an ordinary file (its size and its contents differ)")
    return b"".join(chunks)


def open_file(name, dir_fd: int | None = None) -> int:
    """Open a regular file without following a link (relative to `dir_fd` when given);
    Refused for anything else. The caller closes the descriptor."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise _open_error(exc, str(name)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{_kind(st.st_mode)}, not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_file(path, cap: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one regular file at `path` (its last component is never a link followed),
    capped; Refused with the reason otherwise."""
    fd = open_file(os.fspath(path))
    try:
        return read_fd(fd, cap)
    finally:
        os.close(fd)


def read_head(path, n: int) -> bytes:
    """At most the first `n` bytes of one regular file at `path`, opened as read_file opens it:
    no link followed, no FIFO or device waited on (Refused for those). For the trusted side
    asking what a file in a worker's folder begins with."""
    fd = open_file(os.fspath(path))
    try:
        return os.read(fd, max(0, n))
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------
# finding a submission's exercise files

@dataclass
class _Candidate:
    ex: str
    parts: tuple          # path inside the submission
    read: object = None   # read(cap) -> bytes, Refused when it cannot
    refused: str = ""     # why this entry is not read

    @property
    def key(self):
        return (bool(self.refused), len(self.parts) - 1, not self.parts[-1].endswith(".py"),
                self.parts)


@dataclass
class Found:
    """What a submission holds: per exercise its chosen file's name and bytes, or why that
    exercise's file was refused; notes for people (at most MAX_NOTES, then a count)."""

    files: dict = field(default_factory=dict)     # ex -> (file name, bytes)
    refused: dict = field(default_factory=dict)   # ex -> (file name, note)
    notes: list = field(default_factory=list)
    more_notes: int = 0
    helpers: list = field(default_factory=list)   # the student's own modules, not staged
    misnamed: list = field(default_factory=list)  # (path parts, exercise): a similar name

    def note(self, text: str):
        if text in self.notes:
            return
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self.more_notes += 1

    def all_notes(self) -> list[str]:
        extra = [f"{self.more_notes} more entries left out"] if self.more_notes else []
        return list(self.notes) + extra


def _helper_module(name: str) -> bool:
    """A Python module of the student's own beside the exercise files (utils.py, helpers.py),
    which the grader does not stage: worth a note, since an import of it will fail."""
    return name.endswith((".py", ".ipynb")) and not name.startswith((".", "_")) \
        and name not in ("setup.py", "conftest.py")


def misnamed(name: str) -> str | None:
    """The exercise a .py or .ipynb file seems meant for, by a similar name, when its name is
    not the exercise's (exercise_of finds none): the number written otherwise ('ex1_linear.py',
    'Ex01_linear_model.py', 'exercise_01.py'), or a name close to the exercise's own
    ('linear_model.py', 'ex_linear_model.py'). None for any other file (utils.py)."""
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in (".py", ".ipynb") or exercise_of(name):
        return None
    low = stem.lower()
    m = re.match(r"ex(?:ercise)?[ _-]?0*(\d{1,2})(?!\d)", low)
    if m:
        key = f"ex{int(m.group(1)):02d}"
        return key if key in EXERCISES else None
    score, key = max((SequenceMatcher(None, low, module[5:]).ratio(), k)
                     for k, module in EXERCISES.items())
    return key if score >= 0.8 else None


def name_note(parts: tuple, ex: str, chosen: str | None) -> str:
    """The note for an exercise's file found under another name than its own."""
    own = EXERCISES[ex]
    if chosen == parts[-1]:
        return (f"found {shown('/'.join(parts))}; graded as {ex}, whose file is named "
                f"{own}.py (or .ipynb)")
    return (f"found {shown('/'.join(parts))}; this exercise is read from {own}.py (or .ipynb)"
            + (f", and {shown(chosen)} is what was graded for {ex}" if chosen else
               f": rename the file, {ex} was not graded"))


def _left_out(parts, why: str) -> str:
    return f"left out {shown('/'.join(parts))}: {why}"


class _Tree:
    """A folder opened without following links; every descriptor is closed by close()."""

    def __init__(self, fd: int):
        self.fds = [fd]
        self.seen = 0
        self.layout = _Layout()

    def close(self):
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def walk(self, fd: int, parts: tuple, out: list, found: Found):
        try:
            with os.scandir(fd) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            found.note(_left_out(parts or (".",), f"could not be read ({exc.strerror or exc})"))
            return
        for e in entries:
            self.seen += 1
            if self.seen > MAX_DIR_ENTRIES:
                found.note(f"stopped looking after {MAX_DIR_ENTRIES} entries")
                return
            here = parts + (e.name,)
            ex = exercise_of(e.name)
            problem = name_problem(e.name)
            if problem:
                found.note(_left_out(here, problem))
                if ex:
                    out.append(_Candidate(ex, here, refused=_left_out(here, problem)))
                continue
            try:
                is_link = e.is_symlink()
                is_dir = not is_link and e.is_dir(follow_symlinks=False)
                is_file = not is_link and e.is_file(follow_symlinks=False)
            except OSError:
                is_link = is_dir = is_file = False
            if is_link:
                why = _left_out(here, LINK)
                found.note(why)
                if ex:
                    out.append(_Candidate(ex, here, refused=why))
                continue
            self.layout.saw(here, is_dir, is_file)
            if is_dir:
                if ex:
                    why = _left_out(here, "a folder, not a file")
                    found.note(why)
                    out.append(_Candidate(ex, here, refused=why))
                if _skipped_dir(e.name) or len(parts) >= MAX_DEPTH:
                    continue
                try:
                    sub = os.open(e.name, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    found.note(_left_out(here, _open_error(exc, e.name).args[0]))
                    continue
                self.fds.append(sub)
                self.walk(sub, here, out, found)
                continue
            if ex is None:
                if is_file and misnamed(e.name) and len(found.misnamed) < 5:
                    found.misnamed.append((here, misnamed(e.name)))
                elif is_file and _helper_module(e.name) and len(found.helpers) < 5:
                    found.helpers.append("/".join(here))
                continue
            if not is_file:
                try:
                    what = _kind(e.stat(follow_symlinks=False).st_mode)
                except OSError:
                    what = "not a regular file"
                why = _left_out(here, f"{what}, not a regular file")
                found.note(why)
                out.append(_Candidate(ex, here, refused=why))
                continue
            out.append(_Candidate(ex, here, read=_reader_at(fd, e.name)))


@dataclass
class _Layout:
    """A submission's top folders, each with whether it holds nbgrader's timestamp.txt, and
    whether one lies at its top (nbgrader_layout, one_assignment)."""

    tops: dict = field(default_factory=dict)
    stamped: bool = False

    def saw(self, parts: tuple, is_dir: bool, is_file: bool):
        if len(parts) == 1 and is_dir:
            self.tops.setdefault(parts[0], False)
        elif len(parts) == 2 and is_file and parts[1] == NBGRADER_STAMP:
            self.tops[parts[0]] = True
        elif parts == (NBGRADER_STAMP,) and is_file:
            self.stamped = True


def _reader_at(dir_fd: int, name: str):
    def read(cap):
        fd = open_file(name, dir_fd=dir_fd)
        try:
            return read_fd(fd, cap)
        finally:
            os.close(fd)
    return read


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The member's name. Without flag bit 11 zipfile decodes the name as cp437: its bytes
    are read as UTF-8 (what most tools write), and bytes that are not UTF-8 stay escaped."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "surrogateescape")
        name = raw.decode("utf-8", "surrogateescape")
    return name.replace("\\", "/")


# The end of a zip, as zipfile reads it (the end of central directory record, zip64's too).
_ECD = struct.Struct("<4s4H2LH")
_ECD64 = struct.Struct("<4sQ2H2L4Q")
_ECD64_LOCATOR = struct.Struct("<4sLQL")
_CENTRAL = 46          # one central directory header, before its name, extra field and comment


def _zipfile_end_reader():
    """zipfile's own reader of a zip's end record, where this Python has it (private), else
    None."""
    names = ("_EndRecData", "_ECD_SIGNATURE", "_ECD_ENTRIES_THIS_DISK", "_ECD_ENTRIES_TOTAL",
             "_ECD_SIZE", "_ECD_OFFSET", "_ECD_LOCATION", "stringEndArchive64")
    return zipfile._EndRecData if all(hasattr(zipfile, n) for n in names) else None


def _end_record(f) -> tuple | None:
    """(entries, directory size, directory offset, where the record lies, zip64) of the zip
    open as `f`, read as zipfile reads it (zipfile._EndRecData: the same function where this
    Python has it); None when there is none (zipfile then refuses the file). Reads only the
    zip's last 64 KiB and the zip64 record."""
    end = _zipfile_end_reader()
    if end is not None:
        rec = end(f)
        if not rec:
            return None
        z = zipfile
        return (max(rec[z._ECD_ENTRIES_THIS_DISK], rec[z._ECD_ENTRIES_TOTAL]),
                rec[z._ECD_SIZE], rec[z._ECD_OFFSET], rec[z._ECD_LOCATION],
                rec[z._ECD_SIGNATURE] == z.stringEndArchive64)
    f.seek(0, 2)                       # (a Python without it: the same reading, here)
    size = f.tell()
    start = max(size - (1 << 16) - _ECD.size, 0)
    f.seek(start)
    data = f.read()
    if len(data) >= _ECD.size and data[-_ECD.size:-_ECD.size + 4] == b"PK\5\6" and \
            data[-2:] == b"\0\0":
        at = len(data) - _ECD.size
    else:
        at = data.rfind(b"PK\5\6")
        if at < 0 or len(data) - at < _ECD.size:
            return None
    rec = _ECD.unpack_from(data, at)
    where = start + at
    found = (max(rec[3], rec[4]), rec[5], rec[6], where, False)
    locator = where - _ECD64_LOCATOR.size
    if locator < 0:
        return found
    f.seek(locator)
    loc = f.read(_ECD64_LOCATOR.size)
    if len(loc) != _ECD64_LOCATOR.size or loc[:4] != b"PK\6\7":
        return found
    if locator - _ECD64.size < 0:
        return found
    f.seek(locator - _ECD64.size)
    data = f.read(_ECD64.size)
    if len(data) != _ECD64.size or data[:4] != b"PK\6\6":
        return found
    rec = _ECD64.unpack(data)
    return (max(rec[6], rec[7]), rec[8], rec[9], where, True)


def zip_directory(fd: int, size: int) -> int:
    """Check a zip against the caps before zipfile parses it (zipfile reads the whole central
    directory into memory and makes an object of every entry before anything can count them:
    a 47 MB zip of a million entries cost 380 MB and 6 s). Refused when the zip is larger than
    MAX_ZIP_BYTES, or its end record (zip64's too) declares more than MAX_ZIP_ENTRIES entries
    or a central directory larger than MAX_ZIP_DIRECTORY_BYTES, or that directory, walked
    header by header as zipfile walks it, holds more entries than the cap (a declared count
    can lie). Reads the zip's end and its directory, at most MAX_ZIP_DIRECTORY_BYTES; returns
    the entries counted. What zipfile would refuse anyway (no end record, a bad header) is
    left for it to refuse."""
    if size > MAX_ZIP_BYTES:
        raise Refused(f"the zip is larger than {_size(MAX_ZIP_BYTES)}")
    with os.fdopen(os.dup(fd), "rb") as f:
        try:
            end = _end_record(f)
        except OSError:
            return 0
        if end is None:
            return 0
        declared, cd_size, cd_offset, where, zip64 = end
        if declared > MAX_ZIP_ENTRIES:
            raise Refused(f"the zip declares {declared} entries (at most {MAX_ZIP_ENTRIES})")
        if cd_size > MAX_ZIP_DIRECTORY_BYTES:
            raise Refused(f"the zip's list of entries is larger than "
                          f"{_size(MAX_ZIP_DIRECTORY_BYTES)}")
        start = where - cd_size - (_ECD64.size + _ECD64_LOCATOR.size if zip64 else 0)
        if start < 0:
            return 0
        f.seek(start)
        data = f.read(cd_size)
    count = total = 0
    while total < cd_size:
        head = data[total:total + _CENTRAL]
        if len(head) != _CENTRAL or head[:4] != b"PK\1\2":
            break
        if count == MAX_ZIP_ENTRIES:
            raise Refused(f"the zip holds more than {MAX_ZIP_ENTRIES} entries")
        names, extra, comment = struct.unpack_from("<3H", head, 28)
        total += _CENTRAL + names + extra + comment
        count += 1
    return count


def _zip_candidates(zf: zipfile.ZipFile, found: Found, layout: "_Layout") -> list:
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused(f"the zip holds {len(infos)} entries (at most {MAX_ZIP_ENTRIES})")
    out = []
    links = []
    for info in infos:
        name = _zip_name(info)
        mode = info.external_attr >> 16
        parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
        if not parts:
            continue
        is_link = stat.S_ISLNK(mode)
        if is_link:
            links.append(parts)
        ex = exercise_of(parts[-1])

        def refuse(why, parts=parts, ex=ex):
            text = _left_out(parts, why)
            found.note(text)
            if ex:
                out.append(_Candidate(ex, parts, refused=text))

        if name.startswith("/") or parts[0].endswith(":") or ".." in parts:
            refuse("a path outside the submission")
            continue
        if not is_link:
            if len(parts) > 1:     # a member below a folder: the folder is there too
                layout.saw(parts[:1], True, False)
            layout.saw(parts, info.is_dir(), not info.is_dir())
        if any(_skipped_dir(p) for p in parts[:-1]) or len(parts) - 1 > MAX_DEPTH:
            continue
        problem = next((p for p in map(name_problem, parts) if p), "")
        if problem:
            refuse(problem)
            continue
        if is_link:
            refuse(LINK)
            continue
        if info.is_dir():
            if ex:
                refuse("a folder, not a file")
            continue
        if any(parts[:len(link)] == link for link in links):
            refuse("inside a folder that is a symbolic link")
            continue
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            refuse(f"{_kind(mode)}, not a regular file")
            continue
        if ex is not None:
            out.append(_Candidate(ex, parts, read=_zip_reader(zf, info)))
    # one name twice: unzip tools keep the last copy, zipfile reads the first; grade neither
    seen: dict = {}
    for c in out:
        seen.setdefault(c.parts, []).append(c)
    for parts, copies in seen.items():
        if len(copies) > 1:
            text = _left_out(parts, f"the zip holds {len(copies)} members of this name, and "
                                    f"which one is meant cannot be told")
            found.note(text)
            for c in copies:
                c.refused = text
    # a link listed after what lies below it
    for c in out:
        if not c.refused and any(c.parts[:len(link)] == link for link in links):
            c.refused = _left_out(c.parts, "inside a folder that is a symbolic link")
            found.note(c.refused)
    return out


def _own_assignments(candidates: list, found: Found) -> list:
    """The candidates that lie in their own exercise's assignment folder; a note for each other
    one (assignments=True in collect)."""
    kept = []
    for c in candidates:
        home = f"{module_of(c.ex)}/"
        if len(c.parts) == 1:
            found.note(f"{shown(c.parts[0])} lies outside any assignment folder and was not "
                       f"graded: {c.ex} is graded from its own assignment folder, {home}")
            continue
        own = assignment_exercise(c.parts[0])
        if own == c.ex:
            kept.append(c)
            continue
        inside = shown('/'.join(c.parts[1:]))
        if own is None:
            found.note(f"{inside} in {shown(c.parts[0])}, which is no exercise's assignment "
                       f"folder, was not graded: {c.ex} is graded from its own assignment "
                       f"folder, {home}")
        else:
            found.note(f"{inside} in assignment {shown(c.parts[0])} was not graded: {c.ex} is "
                       f"graded from its own assignment folder, {home}")
    return kept


def _zip_reader(zf, info):
    def read(cap):
        if info.file_size > cap:
            raise Refused(f"larger than {_size(cap)}")
        try:
            with zf.open(info) as f:   # the real size is counted, whatever the header says
                data = f.read(cap + 1)
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt or encrypted member: this file only
            raise Refused(f"could not be read ({type(exc).__name__}: {exc})") from None
        if len(data) > cap:
            raise Refused(f"larger than {_size(cap)}")
        return data
    return read


def _open_root(path: Path) -> tuple[int, os.stat_result]:
    """The submission itself, opened without following a link."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | \
        getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(os.fspath(path), flags)
    except FileNotFoundError:
        raise Refused("no such file or folder") from None
    except OSError as exc:
        raise _open_error(exc, str(path)) from None
    st = os.fstat(fd)
    if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        os.close(fd)
        raise Refused(f"{_kind(st.st_mode)}, not a folder, a zip or an exercise file")
    return fd, st


def collect(source, *, max_file: int = MAX_FILE_BYTES,
            max_total: int = MAX_TOTAL_BYTES, assignments: bool | None = None) -> Found:
    """The exercise files of a submission: a folder (looked into MAX_DEPTH levels deep), a
    zip, or one exercise file. Per exercise the shallowest regular file wins, a .py before an
    .ipynb; each other file of that exercise is noted as not graded. Refused (the submission as
    a whole) when it is a link, not a folder, zip or exercise file, a corrupt zip or one over
    the caps (zip_directory), or when its exercise files add up to more than max_total.

    Assignment boundaries: when `source` is a student's entry in nbgrader's submitted/ tree,
    one folder per assignment (nbgrader_layout, decided here from what the submission holds
    and where it lies, for every entry point alike; assignments=True or False decides instead),
    each exercise is read from its own assignment folder only (assignment_exercise); a file of
    it anywhere else (another exercise's assignment, a folder that is no assignment, the
    student's folder itself) is noted and not graded: late work handed in with a later
    assignment never passes for the assignment that was due. One assignment folder of such a
    student (one_assignment) is graded for its own exercise only."""
    source = Path(source)
    name = source.name or str(source)
    problem = name_problem(name)
    found = Found()
    fd, st = _open_root(source)
    tree = None
    zf = None
    layout = _Layout()
    try:
        if stat.S_ISDIR(st.st_mode):
            tree = _Tree(fd)
            candidates: list = []
            tree.walk(fd, (), candidates, found)
            layout = tree.layout
        elif name.lower().endswith(".zip"):
            zip_directory(fd, st.st_size)
            zf = zipfile.ZipFile(os.fdopen(os.dup(fd), "rb"))
            candidates = _zip_candidates(zf, found, layout)
        elif exercise_of(name) and problem:
            raise Refused(problem)
        elif exercise_of(name):
            candidates = [_Candidate(exercise_of(name), (name,), read=lambda cap: read_fd(fd, cap))]
        else:
            raise Refused("not a folder, a zip or an exercise file (exNN_*.py or .ipynb)")
        single = None
        if assignments is None:
            assignments = nbgrader_layout(source, layout.tops)
            if tree is not None and not assignments:
                single = one_assignment(source, layout.stamped)
        if single:                 # its own exercise only, as in the student's folder
            candidates = [_Candidate(c.ex, (source.name,) + c.parts, c.read, c.refused)
                          for c in candidates]
            assignments = True
        if assignments:
            candidates = _own_assignments(candidates, found)
        best: dict = {}
        for c in candidates:
            if c.ex not in best or c.key < best[c.ex].key:
                best[c.ex] = c
        for c in candidates:
            chosen = best[c.ex]
            if c is not chosen and not c.refused and not chosen.refused:
                found.note(f"{shown('/'.join(c.parts))} was not graded: "
                           f"{shown('/'.join(chosen.parts))} counts for {c.ex} (the file "
                           f"nearest the top counts, a .py before a notebook)")
        for parts, ex in found.misnamed:   # a similar name: said, never graded in its place
            chosen = best.get(ex)
            found.note(name_note(parts, ex, chosen.parts[-1] if chosen and not chosen.refused
                                 else None))
        for ex, c in best.items():
            if not c.refused and os.path.splitext(c.parts[-1])[0] != EXERCISES[ex]:
                found.note(name_note(c.parts, ex, c.parts[-1]))
        if found.helpers:
            found.note(f"left out {', '.join(shown(h) for h in found.helpers)}: only the "
                       f"exercises' own files are graded (exNN_name.py or .ipynb), so a helper "
                       f"module cannot be imported; put what it holds in the exercise's file")
        total = 0
        for ex in sorted(best):
            c = best[ex]
            if c.refused:
                found.refused[ex] = (c.parts[-1], c.refused)
                continue
            try:
                data = c.read(max_file)
            except Refused as exc:
                text = _left_out(c.parts, str(exc))
                found.note(text)
                found.refused[ex] = (c.parts[-1], text)
                continue
            except OSError as exc:
                text = _left_out(c.parts, f"could not be read ({exc.strerror or exc})")
                found.note(text)
                found.refused[ex] = (c.parts[-1], text)
                continue
            total += len(data)
            if total > max_total:
                raise Refused(f"the exercise files add up to more than {_size(max_total)}")
            found.files[ex] = (c.parts[-1], data)
    except zipfile.BadZipFile as exc:
        raise Refused(str(exc)) from None
    finally:
        if zf is not None:
            zf.close()
        if tree is not None:
            tree.close()
        else:
            os.close(fd)
    return found


# ----------------------------------------------------------------------------------------------
# the one staging function

def _raising_module(message: str) -> bytes:
    return f"raise ImportError({message!r})\n".encode()


def stage_submission(source, workdir, notes: list | None = None,
                     review: list | None = None) -> dict[str, str]:
    """Copy the exercise files of a submission (a folder, a zip or one file: exNN_*.py, or
    notebooks turned into .py) into workdir as {module}.py; return {module name: file name}.
    A file that is refused or unreadable becomes a module that raises ImportError saying why;
    `notes` (a list) gets what was left out and why. Never raises for the submission's
    content. `review` (a list) gets what the source of each file does that a correct program
    never does (grader.engine.review, reading the files as text, here on the trusted side)."""
    notes = notes if notes is not None else []
    workdir = Path(workdir)
    staged: dict[str, bytes] = {}
    try:
        found = collect(source)
    except Refused as exc:
        notes.append(f"could not read the submission {shown(Path(source).name or source)}: "
                     f"{exc}")
        found = Found()
    except Exception as exc:  # noqa: BLE001 - whatever it is, the grade goes on without it
        notes.append(f"could not read the submission {shown(Path(source).name or source)}: "
                     f"{type(exc).__name__}: {shown(str(exc), quote=False, limit=200)}")
        found = Found()
    notes.extend(n for n in found.all_notes() if n not in notes)
    if review is not None:
        from grader.engine.review import scan_notebook, scan_source
        for _ex, (name, data) in sorted(found.files.items()):
            scan = scan_notebook if name.endswith(".ipynb") else scan_source
            review.extend(str(f) for f in scan(data, Path(name).name))
    for ex, (name, data) in found.files.items():
        if name.endswith(".ipynb"):
            from grader.sandbox.notebooks import notebook_source
            try:
                data = notebook_source(data, origin=name).encode()
            except Exception as exc:  # noqa: BLE001 - a malformed notebook: its exercise only
                why = exc.args[0] if isinstance(exc, ValueError) and exc.args else \
                    f"{type(exc).__name__}"
                text = f"left out {shown(name)}: {why}"
                notes.append(text)
                data = _raising_module(text)
        staged[ex] = data
    for ex, (_name, text) in found.refused.items():
        staged[ex] = _raising_module(text)
    out = {}
    for ex in sorted(staged):
        (workdir / f"{module_of(ex)}.py").write_bytes(staged[ex])
        out[module_of(ex)] = f"{module_of(ex)}.py"
    from grader.datasets import FILES, path
    for name in FILES:  # the data sets of ex08-ex10 (the grader's own), next to the code
        if path(name).exists():
            import shutil
            shutil.copyfile(path(name), workdir / name)
    return out
