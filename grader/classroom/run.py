"""Grade a whole class: every submission in a folder, in parallel, into an SQLite gradebook.

    summary = grade_class("submissions/", db="gradebook.db", jobs=2, html_dir="feedback/")
    print(summary.line())

A class folder holds one entry per student:
  - a folder `alice/` with her exNN_*.py files or notebooks (nested folders are looked into),
  - or a zip `bob.zip` (read safely: no absolute or `..` paths, no links, size caps),
  - or nbgrader's tree `submitted/STUDENT/ASSIGNMENT/exNN_*.ipynb` (give the course folder or
    its `submitted/` folder): one student's assignment folders together form her submission.

Parallelism is several grading processes (`jobs`), each with its own worker zygote, each grading
one submission after another (pytest is not thread-safe); this process writes the gradebook, one
transaction per submission. A submission already in the gradebook with the same content, seed,
grader version and exercises is skipped (unless `force`), so a run that was killed goes on where
it stopped when started again. One grading request (grader.engine.request.GradeRequest) serves the
whole class: built once, in `grade_class`, it reaches the grading processes as plain data.

Every entry of the class folder is a student's, whatever its name, unless it is what tools leave
(__MACOSX/, .git/: staging.NOT_STUDENTS), hidden ('.alice': left out, with a note), or this
grader's own output, known by identity (Outputs), never by name: the gradebook and the files SQLite keeps
beside it (their inodes, and the gradebook's mark: grader.classroom.gradebook.inspect), the feedback pages'
folder (a marker file holding a secret of the gradebook), the CSV export, the run's temporary
folder. No output is ever written into a student's entry: a gradebook, CSV or pages' folder the
instructor names there is refused (OutputRefused, one line, exit 2); the default gradebook,
when its name is taken, is kept in a private folder of the user's (gradebook.kept_path), said
where, and every student is graded. Entries are filed under names that never read alike
(file_names), and a name stays with the entry graded under it from run to run.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import stat
import sys
import tempfile
import time
import traceback
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from grader.sandbox import staging
from grader.classroom.feedback import page_name
from grader.classroom import gradebook as gradebooks
from grader.classroom.gradebook import Gradebook, OutputRefused
from grader.engine.request import GradeRequest
from grader.engine.result import GradeResult
from grader.sandbox.safetext import LINE, clean, short_hash
from grader.sandbox import sweep_stale_temp

# Caps and names are grader.sandbox.staging's, the one way files enter (here as names to monkeypatch).
MAX_FILE_BYTES = staging.MAX_FILE_BYTES    # one exercise file
MAX_TOTAL_BYTES = staging.MAX_TOTAL_BYTES  # all exercise files of one submission
SKIP_DIRS = staging.SKIP_DIRS
exercise_of = staging.exercise_of
DEFAULT_TIMEOUT = 600.0          # wall-clock seconds for grading one whole submission


# ----------------------------------------------------------------------------------------------
# finding the submissions

@dataclass
class Entry:
    """One student's submission, gathered into a private flat folder of exercise files."""

    student: str
    source: Path                  # the folder or zip it came from
    folder: Path | None = None    # the gathered exercise files (None when it could not be read)
    content_hash: str = ""
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # e.g. unsafe paths left out
    error: str = ""               # why nothing could be read (a corrupt zip, ...)


# Entries of a class folder that are never a student's: what archivers, editors, version control
# and file browsers leave (left out quietly), and hidden names ('.alice': left out, with a note).
# Nothing else is left out by its name: a folder called 'feedback', '__bob' or 'gradebook.db' is
# a student's, unless it is this grader's own output, known by identity (Outputs).
NOT_STUDENTS = staging.NOT_STUDENTS
# A folder of feedback pages that grade-class keeps inside the class folder holds this file,
# with the gradebook's secret (Gradebook.pages_token): so a later run knows it as this grader's.
PAGES_MARK = ".torchdrills-pages"
# nbgrader's course layout (staging.nbgrader_course)
NBGRADER_COURSE = staging.NBGRADER_COURSE
NBGRADER_FILES = staging.NBGRADER_FILES
# A name filed with a hash (escaped, cut, or two entries under one name) ends like this; a plain
# name that reads like this (its skeleton: '0' and 'O', Cyrillic 'а' and 'a' alike) is filed with
# a hash of its own, so that no name can pose as another.
_HASHED = re.compile(r".*~[0-9a-f]{8}(?:[0-9a-f]{8})?")
_HASHED_READ = re.compile(r".*~[2-9a-fOl]{8}(?:[2-9a-fOl]{8})?")   # the same, on a skeleton


@dataclass
class Outputs:
    """What a class run knows as its own in the class folder, by identity: what it opened or
    created (the gradebook and the files beside it, the pages' folder, its temporary folder),
    compared by device and inode with the file at that path now (an inode freed by a file
    SQLite removed is often the next new file's); the gradebook's pages secret (a folder
    marked with it holds this grader's pages); the inodes of the CSV files it wrote."""

    paths: list = field(default_factory=list)
    pages_token: str = ""
    exports: set = field(default_factory=set)

    def add(self, path) -> None:
        self.paths.append(Path(path))

    def owns(self, path: Path) -> bool:
        """Is this entry the grader's own? Never for a link (a student's entry, whatever it
        points to) or anything that only bears an output's name."""
        try:
            st = os.lstat(path)
        except OSError:
            return False
        for mine in self.paths:
            try:
                if os.path.samestat(st, os.lstat(mine)):
                    return True
            except OSError:
                continue
        if stat.S_ISDIR(st.st_mode):
            return bool(self.pages_token) and _pages_mark(path) == self.pages_token
        if stat.S_ISREG(st.st_mode):
            if st.st_ino in self.exports and _head(path, 8) == b"student,":
                return True        # a CSV this gradebook wrote (named like a zip)
            return _head(path, 16) == b"SQLite format 3\0" and \
                gradebooks.inspect(path).state == "ours"    # a gradebook of this grader
        return False


def _head(path, n) -> bytes:
    try:
        return staging.read_head(path, n)
    except (staging.Refused, OSError):
        return b""


def _pages_mark(folder: Path) -> str:
    text = _head(folder / PAGES_MARK, 200).decode("ascii", "replace").split()
    return text[-1] if len(text) == 4 and text[:3] == ["torchdrills", "feedback", "pages"] else ""


def class_entries(folder, outputs: Outputs | None = None,
                  filed: dict | None = None) -> list[tuple[str, Path]]:
    """(student, path) of every submission in a class folder, sorted by student.

    The folder holds one entry per student, a folder or a .zip, or is an nbgrader course
    (submissions_folder). Every entry is a student's, whatever its name ('__bob' too), except
    what tools leave (staging.NOT_STUDENTS), hidden names ('.alice': left out, and
    class_folder_notes says so) and the grader's own `outputs` (known by identity). A
    student's entry that is a symbolic link is listed (gather refuses it, with a note). Each is
    filed under the name it reads as (file_names): a name that is not plain text is escaped, a
    look-alike gets a hash, and no two entries are filed under names that read alike.
    `filed`: {student: the entry she was last graded from} in this class folder, from the
    gradebook (the run's, _class_rows), so that a name stays with its entry from run to run."""
    return list_class(folder, outputs, filed)[0]


def list_class(folder, outputs: Outputs | None = None,
               filed: dict | None = None) -> tuple[list[tuple[str, Path]], list[str]]:
    """class_entries, and notes for the instructor on names that read alike."""
    paths = [p for p, _ in _entries(submissions_folder(folder), outputs)]
    names = {p.name: p.name if p.is_dir() else p.stem for p in paths}
    students, notes = file_names(names, filed)
    return sorted((students[p.name], p) for p in paths), notes


def submissions_folder(folder) -> Path:
    """The folder that holds one entry per student: `folder` itself, or `folder/submitted`
    when `folder` is an nbgrader course (staging.nbgrader_course: a submitted/ folder, and
    beside it nbgrader_config.py or nothing that could be a student's entry). A student who
    names her folder 'submitted' is one student of the class (class_folder_notes says so),
    not the whole class."""
    folder = Path(folder)
    return folder / "submitted" if staging.nbgrader_course(folder) else folder


def class_folder_notes(folder, outputs: Outputs | None = None) -> list[str]:
    """Notes on the entries of `folder` that are not graded as they might look: submitted/
    beside students' entries (the folder is graded as a class folder, 'submitted' one student
    among them), folders named like feedback pages that are no pages of this grader's (graded
    as students), and hidden entries ('.alice', left out)."""
    folder = Path(folder)
    where = submissions_folder(folder)
    notes = []
    others = staging.beside_submitted(folder)
    if (folder / "submitted").is_dir() and others and where == folder:
        shown = ", ".join(staging.shown(p.name) for p in others[:3]) + \
            (", ..." if others[3:] else "")
        notes.append(f"{staging.shown(folder.name)} holds a folder 'submitted' beside other "
                     f"entries ({shown}): each entry, 'submitted' too, is graded as one "
                     f"student. To grade an nbgrader course, give its submitted/ folder.")
    for name in ("feedback", "autograded"):
        path = where / name
        if path.is_dir() and not (outputs is not None and outputs.owns(path)):
            notes.append(f"the folder '{name}' in {staging.shown(where.name)} is graded as a "
                         f"student: it holds no feedback pages of this grader's. If it is "
                         f"nbgrader's or older pages, move it out of the class folder")
    hidden = [p for p in staging.class_listing(where)[1]
              if not (outputs is not None and outputs.owns(p))]
    if hidden:
        shown = ", ".join(staging.shown(p.name) for p in hidden[:10]) + \
            (f" and {len(hidden) - 10} more" if hidden[10:] else "")
        notes.append(f"not graded, as hidden: {shown} (a name that starts with '.' is left "
                     f"out; if one is a student's, rename it without the dot)")
    return notes


def _entries(folder: Path, outputs: Outputs | None = None):
    """(path, is_dir) of each entry of `folder` that could be a student's, sorted: a folder or
    a .zip (a link: what it points to), not what tools leave, not hidden
    (staging.class_listing), not the grader's own `outputs`."""
    for p, is_dir in staging.class_listing(folder)[0]:
        if outputs is not None and outputs.owns(p):
            continue
        yield p, is_dir


# Characters that print as nothing though Python calls them printable (a combining grapheme
# joiner, Hangul fillers, variation selectors, the blank braille pattern): 'alice\u3164' reads
# as 'alice' in a terminal and a CSV.
_BLANK = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f"
                    "\uffa0\U000e0100-\U000e01ef]")
# Look-alikes (after Unicode TR39's confusables, the common ones): Cyrillic and Greek letters
# that print like Latin ones, and the Latin and digit shapes that print alike ('I', 'l', '1';
# 'O', '0'). A name's skeleton (NFKD, then this table, then NFD) is how it reads: two names with
# one skeleton read alike ('alice' and Cyrillic 'аlice'; 'José' composed and decomposed;
# fullwidth 'ａｌｉｃｅ').
_CONFUSABLE = str.maketrans({
    # Cyrillic
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i",
    "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ү": "y", "ѵ": "v",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "l", "Ӏ": "l", "Ј": "J", "Ү": "Y", "Ԛ": "Q",
    "Ԝ": "W",
    # Greek
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "υ": "u", "ι": "i", "χ": "x", "γ": "y", "ϲ": "c",
    "ϳ": "j", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "l", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    # Latin and digits
    "ı": "i", "ɑ": "a", "ɡ": "g", "I": "l", "1": "l", "|": "l", "ǀ": "l", "0": "O",
})
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def skeleton(name: str) -> str:
    """How a name reads: its look-alikes made one (_CONFUSABLE). Two names that read alike
    have one skeleton."""
    text = unicodedata.normalize("NFKD", name).translate(_CONFUSABLE)
    return unicodedata.normalize("NFD", text)


def _looks_like_another(name: str) -> str:
    """Why a plain name could pass for another's, or '': spaces at its ends, characters that
    print as nothing, letters of two scripts ('аlice': a Cyrillic 'а'), or non-ASCII letters
    that all read as plain ones (Cyrillic 'аlісе', fullwidth 'ａｌｉｃｅ', a ligature)."""
    if name != name.strip() or _BLANK.search(name):
        return "it has spaces at its ends or characters that print as nothing"
    scripts = set()
    for ch in name:
        if ch.isalpha():
            words = unicodedata.name(ch, "").split()
            scripts.update(w for w in _SCRIPTS if w in words)
    if len(scripts) > 1:
        return f"it mixes {' and '.join(w.title() for w in sorted(scripts))} letters"
    if not name.isascii() and skeleton(name).isascii():
        return "its letters only look like plain Latin ones"
    return ""


def _looks_filed(name: str) -> bool:
    """Does a plain name read like one filed with a hash ('x~0123abcd', or with 'O' for '0')?"""
    return bool(_HASHED.fullmatch(name) or _HASHED_READ.fullmatch(skeleton(name)))


def student_name(name: str) -> str:
    """The name a class entry reads as, and is filed under unless another entry reads alike
    (file_names): the name itself, composed (NFC: as an LMS stores it), when it is plain text;
    else escaped with a hash of the exact name: the escaped b'\\xff' and a folder really called
    '\\xff' read alike, and stay two students. A plain name that looks filed with a hash
    ('Jos\\xe9~399207d2'), or could pass for another (_looks_like_another: 'alice ',
    'alice\\u3164', Cyrillic 'аlice'), gets a hash of its own, so it never takes or looks like
    another student's name."""
    label = staging.safe_label(name)
    if label == name:
        plain = unicodedata.normalize("NFC", name)
        if not _looks_filed(plain) and not _looks_like_another(plain):
            return plain
    elif re.fullmatch(r".{60}~[0-9a-f]{8}", label):  # (a long one has its hash)
        return label
    return f"{unicodedata.normalize('NFC', label)}~{short_hash(name)}"


def shared_name(entry: str) -> str:
    """The name of one of two entries that read alike: the entry's exact name (with '.zip'),
    escaped, and a longer hash of it ('alice.zip~3fa81c2e0b5d9e71')."""
    digest = hashlib.blake2b(entry.encode("utf-8", "surrogateescape"), digest_size=8)
    return f"{unicodedata.normalize('NFC', staging.safe_label(entry))}~{digest.hexdigest()}"


def file_names(names: dict, filed: dict | None = None) -> tuple[dict, list[str]]:
    """({entry: student}, notes) for the entries of one class folder; `names` maps each entry
    ('alice', 'alice.zip') to the name it is filed by (a folder's name, a zip's stem).

    Each is filed under student_name, unless other entries read alike (one skeleton: 'alice/'
    and 'alice.zip'; 'José' composed and decomposed; 'Ivan' and 'lvan'). An entry graded before
    under a name that reads as its own (`filed`: {student: the entry she was last graded from},
    the earliest filed first) keeps that name, as it was spelled, so that a newcomer never
    freezes or takes a classmate's row, and a rerun files everyone alike; each other entry
    that reads alike is filed under its exact name with a hash (shared_name), and none keeps
    the name when none had it. A name student_name gives a hash (a look-alike) never keeps a
    plain one. Filing is one-to-one, and no two entries are filed under names that read
    alike. (A row whose entry is gone keeps its name: the run and `export` name it.)"""
    filed = filed or {}
    order = {student: i for i, student in enumerate(filed)}
    by_entry: dict = {}            # entry -> the names it was graded under that read as now
    for student, entry in filed.items():
        by_entry.setdefault(entry, []).append(student)
    readable = {e: student_name(stem) for e, stem in names.items()}
    groups: dict = {}
    for e in sorted(names):
        groups.setdefault(skeleton(readable[e]), []).append(e)
    out, notes = {}, []
    for key, members in groups.items():
        held = sorted((order[name], name, e) for e in members
                      for name in by_entry.get(staging.printable(e), ())
                      if skeleton(name) == key)
        keep = held[0][2] if held else (members[0] if len(members) == 1 else None)
        for e in members:
            out[e] = (held[0][1] if held else readable[e]) if e == keep else shared_name(e)
        if held and len(members) > 1:
            others = ", ".join(f"{_exactly(e)} as {staging.shown(out[e])}"
                               for e in members if e != keep)
            notes.append(f"{_exactly(keep)} keeps the name {staging.shown(out[keep])} it was "
                         f"graded under before; entries that read alike are graded under names "
                         f"of their own: {others}")
    seen: dict = {}
    for e in sorted(out):          # (by construction none; never two that read alike)
        other = seen.setdefault(skeleton(out[e]), e)
        if other != e:
            out[e], out[other] = shared_name(e), shared_name(other)
    return out, notes


def _spelled(name: str) -> str:
    """A name with every character that is not ASCII written out ('\\u0430lice')."""
    return name.encode("ascii", "backslashreplace").decode("ascii")


def _exactly(name: str) -> str:
    """A name as notes show it, and spelled out when it is not ASCII: names that read alike
    are told apart ('José' (Jose\\u0301))."""
    return staging.shown(name) + ("" if name.isascii() or staging.name_problem(name)
                                  else f" ({_spelled(name)})")


def _filing_note(source: Path, student: str) -> str:
    """Why an entry is filed under another name than its own, for the instructor and the
    student; '' when it is not (or only composed: 'José' as an LMS stores it)."""
    exact = source.name
    stem = exact if source.is_dir() else source.stem
    if student == shared_name(exact):
        return (f"another entry of the class reads as {staging.shown(student_name(stem))} "
                f"too: this one ({_exactly(exact)}) is graded under a name of its own, "
                f"'{student}'")
    odd = staging.name_problem(exact)
    if odd:
        return f"the submission {staging.shown(exact)}: {odd}; it is graded as '{student}'"
    plain = unicodedata.normalize("NFC", stem)
    if student == plain or student != student_name(stem):
        return ""
    why = _looks_like_another(plain) or "it reads like a name filed with a hash"
    spelled = f" ({_spelled(stem)})" if not stem.isascii() else ""
    return (f"the submission {staging.shown(exact)}{spelled}: {why}, so it could pass for "
            f"another student's name; it is graded as {staging.shown(student)}")


def gather(student: str, source: Path, into: Path, assignments: bool | None = None) -> Entry:
    """Copy the exercise files of one submission (folder or zip) flat into `into`, and hash
    them; never raises: an unreadable submission comes back with `error` set. What is read
    and how is grader.sandbox.staging's (regular files only, no link followed, sizes capped,
    a zip checked against the caps before it is parsed); what it left out is in `problems`.
    Assignment boundaries are staging.collect's to decide, as for `grade`: each exercise of a
    student's entry in nbgrader's submitted/ tree (a folder, or a zip put there) is read from
    its own assignment folder only (assignments=True or False decides instead)."""
    entry = Entry(student, Path(source))
    digest = hashlib.blake2b(digest_size=16)
    label = staging.shown(entry.source.name, quote=False)
    note = _filing_note(entry.source, student)
    if note:
        entry.problems.append(note)
    try:
        found = staging.collect(entry.source, max_file=MAX_FILE_BYTES,
                                max_total=MAX_TOTAL_BYTES, assignments=assignments)
        entry.problems += found.all_notes()
        entry.folder = _write(found, into, entry)
    except Exception as exc:  # noqa: BLE001 - a corrupt or hostile submission: this one only
        why = str(exc) if isinstance(exc, staging.Refused) else f"{type(exc).__name__}: {exc}"
        entry.error = f"could not read {label}: {why}"
    if entry.error:
        shutil.rmtree(into, ignore_errors=True)
        entry.folder = None
        digest.update(b"unreadable\0" + entry.error.encode("utf-8", "backslashreplace"))
        _hash_file(digest, entry.source, MAX_TOTAL_BYTES)
    else:
        for name in sorted(entry.files):
            digest.update(name.encode() + b"\0" + (entry.folder / name).read_bytes() + b"\0")
    entry.content_hash = digest.hexdigest()
    return entry


def _hash_file(digest, path: Path, cap: int) -> None:
    """Add the bytes of the regular file at `path` to `digest`, a block at a time (nothing
    for a folder, a link, or a file larger than `cap`)."""
    try:
        fd = staging.open_file(os.fspath(path))
    except (OSError, ValueError):
        return
    try:
        if os.fstat(fd).st_size > cap:
            return
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                return
            digest.update(block)
    except OSError:
        return
    finally:
        os.close(fd)


def _write(found: staging.Found, into: Path, entry: Entry) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    for ex in sorted(found.files):
        name, data = found.files[ex]
        (into / name).write_bytes(data)
        entry.files.append(name)
    return into


# ----------------------------------------------------------------------------------------------
# the grading processes

def _die_with_parent():
    """Linux: this process gets SIGKILL when the process that started it dies."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


@dataclass(frozen=True)
class _Job:
    """What every grading process of a class run is told: the request (as plain data: it
    crosses a process boundary), where feedback pages go, and how many processes share the
    machine."""

    request: dict
    html_dir: str | None = None
    jobs: int = 1
    references: str | None = None   # the run's reference table, a file
                                    # (grader.engine.reference_table)
    require: tuple = ()             # sandbox layers every zygote of the process must have
                                    # (Zygote(require=...); a cluster worker's)


def _grading_process(conn, job: _Job, parent: int, zygote=None, others=()):
    """Runs in each grading process: one zygote, then submissions one after another.

    Forked (Linux), it inherits the parent's warmed-up imports and a zygote the parent started
    for it; `others` are the parent's zygotes meant for other processes, closed here.

    The messages: it says {"ready": True, "layers": its sandbox's measured layers} once warm
    ({"ready": False, "lacking": [...]} and ends, when its zygote lacks a layer job.require asks);
    then each task (student, folder, source, notes) gets {"student", "result": plain data}. A
    cluster worker's tasks also carry their "request" (plain data; a worker serves one class
    run after another) and "references" (a table file); {"table": request} asks for the
    request's reference table, computed here, as {"table": bytes}; None ends it."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    for other in others:
        other.sock.close()
    if job.jobs > 1:
        import torch
        torch.set_num_threads(1)
    from functools import partial

    from grader.engine.runner import grade_submission
    from grader.sandbox import LayersMissing, Zygote
    new_zygote = partial(Zygote, require=job.require)
    request = GradeRequest.from_dict(job.request)
    if zygote is None:      # spawned: start one, and warm up while it boots
        zygote = new_zygote()
        _warm_up(request.exercises)
    from grader.engine.runner import collected_checks, prepare_trusted_side, set_aside_warm_objects
    prepare_trusted_side(request.exercises)   # (forked: done in the parent already)
    collected_checks(request)   # collected once, for every submission of this process
    set_aside_warm_objects()
    holder = [zygote]
    signal.signal(signal.SIGTERM, lambda *_: _terminate(holder[0]))
    try:
        try:
            zygote.wait_ready()
        except LayersMissing as exc:   # it grades nothing, and says why
            conn.send({"ready": False, "lacking": exc.lacking})
            return
        conn.send({"ready": True, "layers": list(zygote.layers)})
        loaded = None       # the reference table in use
        while True:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    return
                continue
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            if "table" in task:
                conn.send({"table": _table_of(GradeRequest.from_dict(task["table"]))})
                continue
            references = task.get("references") or job.references
            if references and references != loaded:   # written before the first task
                _load_references(references)
                loaded = references
            asked = GradeRequest.from_dict(task["request"]) if "request" in task else request
            result, zygote = _grade_one(task, zygote, asked, job.html_dir,
                                        grade_submission, new_zygote)
            holder[0] = zygote
            conn.send({"student": task["student"], "result": result.to_dict()})
    finally:
        zygote.close()


def _terminate(zygote):
    """SIGTERM (the submission ran out of time): kill the zygote's workers, whatever they are
    doing, and the zygote, then leave. Linux finds the workers in /proc; elsewhere they end
    when they read from their closed pipe or hit their CPU limit."""
    for pid in _children(zygote.proc.pid):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
    try:
        zygote.proc.kill()
    except OSError:
        pass
    spool = getattr(zygote, "spool", None)   # the submission's staged files
    if spool:
        shutil.rmtree(spool, ignore_errors=True)
    os._exit(1)


def _children(pid: int) -> list[int]:
    out = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat_line = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat_line.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(name))
    return out


def _warm_up(exercises):
    """Import the references and collect the checks once, so that the first submission costs
    no more than the others (saves seconds per grading process)."""
    import contextlib
    import io

    import pytest

    from grader.engine import runner
    from grader.engine import reference
    for ex in exercises:
        try:
            reference.solution_module(ex)
        except Exception:  # noqa: BLE001 - the checks will report it
            pass
    files = runner.check_files(exercises)
    if files:
        with contextlib.redirect_stdout(io.StringIO()), runner.no_plugin_autoload():
            pytest.main(runner.pytest_args(files) + ["--collect-only"])


def _reference_table(request: GradeRequest, path) -> None:
    """Compute the reference results of the run's checks once, in the parent, into the file
    `path` that every grading process loads (grader.engine.reference_table). Forked
    processes also inherit them, with the optimizer warm-up the computation includes."""
    from grader.engine import session as collected
    try:
        Path(path).write_bytes(_table_of(request))
    finally:
        collected.forget()   # the children collect their own


def _table_of(request: GradeRequest) -> bytes:
    """The reference table of `request`; b"" if it cannot be computed, which only means that
    each grading process computes the references it needs, as it would without a table."""
    from grader.engine import reference_table
    try:
        return reference_table.compute(request)
    except Exception:  # noqa: BLE001 - a cache, never a grade
        return b""


def _load_references(path) -> None:
    from grader.engine import reference_table
    try:
        reference_table.load(Path(path).read_bytes())
    except (OSError, ValueError):
        pass


def _grade_one(task, zygote, request: GradeRequest, html_dir, grade_submission, Zygote):
    """Grade one submission; a failure of the grading machinery itself becomes an error in the
    result (after one retry with a fresh zygote), never an exception."""
    for attempt in (1, 2):
        try:
            result = grade_submission(task["folder"], zygote, request)
            break
        except Exception as exc:  # noqa: BLE001 - anything: this submission only
            try:
                zygote.close()
            except Exception:  # noqa: BLE001
                pass
            zygote = Zygote()
            if attempt == 2:
                result = error_result(task["source"], request,
                                      f"grading failed: {type(exc).__name__}: {exc}\n"
                                      + traceback.format_exc()[-1500:])
    result.submission = task["source"]
    if html_dir:
        try:
            from grader.classroom.feedback import write_page
            write_page(result, Path(html_dir) / page_name(task["student"]),
                       student=task["student"], notes=task.get("notes", ()))
        except Exception as exc:  # noqa: BLE001 - a page is not worth a grade
            result.errors.append(f"no feedback page: {type(exc).__name__}: {exc}")
    return result, zygote


def error_result(source, request: GradeRequest, message) -> GradeResult:
    """A submission that could not be graded: no checks, zero points, the reason in errors."""
    return GradeResult(submission=str(source), seed=request.seed,
                       exercises=list(request.exercises), errors=[message])


class _Process:
    """A grading process, seen from the parent. Forked: `zygote` (started by the parent, which
    closes its own end of the zygote's socket here) goes to the child."""

    def __init__(self, ctx, job: _Job, zygote=None, others=()):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_grading_process,
                                args=(child, job, os.getpid(), zygote, tuple(others)),
                                daemon=True)
        self.proc.start()
        child.close()
        self.zygote = zygote
        if zygote is not None:
            zygote.sock.close()
        self.task = None
        self.started = 0.0
        self.ready = False     # set when the process says it has warmed up

    def give(self, task):
        self.task, self.started = task, time.monotonic()
        self.conn.send({k: task[k] for k in ("student", "folder", "source", "notes")})

    def ask_to_stop(self, hard=False):
        try:
            if hard:
                self.proc.terminate()
            else:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.asked = True

    def stop(self, hard=False):
        """Ask the process to finish (hard: SIGTERM, it kills its workers); SIGKILL if it
        does not."""
        try:
            if not getattr(self, "asked", False):
                self.ask_to_stop(hard)
            self.proc.join(3 if hard else 10)
        except (OSError, ValueError):
            pass
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()


# ----------------------------------------------------------------------------------------------
# the class run

@dataclass
class ClassRun:
    """What a class run did (see `line()`)."""

    folder: str
    db: str
    seed: int
    jobs: int
    total: int = 0
    graded: int = 0
    skipped: int = 0
    failed: int = 0             # graded, but with a grader error (crash, time limit, bad zip)
    seconds: float = 0.0
    mean: float = 0.0
    max_score: float = 0.0
    html_dir: str | None = None
    cluster: str | None = None  # the Dask scheduler it ran on
    students: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # "bob: left out '../x.py': ..."
    csv: str | None = None      # the CSV written
    csv_problem: str = ""       # why the CSV asked for was not written

    def line(self) -> str:
        text = (f"graded {self.graded} of {self.total} submissions"
                + (f" ({self.skipped} already in the gradebook)" if self.skipped else "")
                + f" in {self.seconds:.1f} s with {self.jobs} "
                + (f"Dask worker{'s' * (self.jobs != 1)} at {self.cluster}" if self.cluster
                   else f"job{'s' * (self.jobs != 1)}")
                + f", seed {self.seed}")
        if self.total:
            text += f"; class mean {self.mean:.1f} / {self.max_score:g}"
        if self.failed:
            text += f"; {self.failed} could not be fully graded (see the gradebook's errors)"
        return text + f"; gradebook {self.db}"


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def grade_class(folder, *, db=None, jobs=None, seed=None, exercises=None,
                device="all", html_dir=None, force=False, timeout=DEFAULT_TIMEOUT,
                progress=True, cluster=None, cluster_timeout=30.0, on_event=None,
                csv=None) -> ClassRun:
    """Grade every submission in `folder` into the gradebook `db`; see the module docstring.
    `db`: None for the default, gradebook.db in the current folder, or, where that name is
    taken, the folder's kept gradebook (open_gradebook). `cluster`: a Dask scheduler's address
    or scheduler file (docs/cluster.md); the grading runs there, the gradebook is still written
    here. `on_event(event, student)` hears a cluster run's "done", "failed" and "retried".
    `csv`: also export the grades there; where that path is taken, run.csv_problem says why
    (the grades stay in the gradebook). OutputRefused, before anything is graded: a gradebook
    or pages' folder that was named is taken (a folder, a student's entry, another program's
    database)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such class folder: {folder}")
    client = None
    if cluster:
        from grader.classroom.cluster import client_for
        client = client_for(str(cluster), timeout=cluster_timeout)
        try:
            return _grade_class(folder, db, jobs, seed, exercises, device, html_dir, force,
                                timeout, progress, client, on_event, csv)
        finally:
            client.close()
    return _grade_class(folder, db, jobs, seed, exercises, device, html_dir, force, timeout,
                        progress, None, None, csv)


def _grade_class(folder, db, jobs, seed, exercises, device, html_dir, force, timeout,
                 progress, client, on_event, csv=None) -> ClassRun:
    jobs = max(1, int(jobs or default_jobs()))
    if client is not None:
        jobs = max(1, len(client.scheduler_info().get("workers", {})))
    started = time.perf_counter()
    where = submissions_folder(folder)
    raw = [p for p, _ in _entries(where)]        # every entry, before the outputs are known
    book, notes = open_gradebook(db, folder)
    try:
        outputs = Outputs(book.files(), book.pages_token(), book.exports())
        for holder in _holders(book.path, where):
            outputs.add(holder)
        if html_dir:
            html_dir = _pages_folder(Path(html_dir), folder, where, raw, outputs)
    except BaseException:
        book.discard()
        raise
    try:
        request = GradeRequest(exercises=exercises or (), device=device,
                               seed=book.class_seed(seed))
        shown_db = str(db) if db is not None else gradebooks.DEFAULT \
            if _same(book.path, Path.cwd() / gradebooks.DEFAULT) else str(book.path)
        run = ClassRun(folder=str(folder), db=shown_db, seed=request.seed, jobs=jobs,
                       html_dir=str(html_dir) if html_dir else None)
        run.notes += notes
        if _within(tempfile.gettempdir(), folder):
            run.notes.append(f"the temporary folder ({staging.shown(tempfile.gettempdir())}) "
                             f"lies in the class folder: folders a killed run left there are "
                             f"not swept (they could be a student's); set TMPDIR elsewhere")
        else:
            sweep_stale_temp("grader-class-")
        work = Path(tempfile.mkdtemp(prefix=f"grader-class-{os.getpid()}-"))
        outputs.add(work)
        try:
            _grade_entries(folder, where, book, run, request, outputs, work, jobs, html_dir,
                           force, timeout, progress, client, on_event)
            if csv:
                _export(book, Path(csv), where, raw, outputs, run, named_db=db is not None)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        book.close()
    run.seconds = time.perf_counter() - started
    return run


def _grade_entries(folder, where, book, run, request, outputs, work, jobs, html_dir, force,
                   timeout, progress, client, on_event):
    rows = _class_rows(book, folder, where)
    entries, notes = list_class(folder, outputs, rows)
    run.notes += notes + class_folder_notes(folder, outputs)
    run.total = len(entries)
    run.students = [s for s, _ in entries]
    run.notes += _moves(rows, entries, book, where)
    run_id = book.begin_run(os.path.abspath(folder), request.seed, request.exercises, jobs)
    tasks = []
    for i, (student, path) in enumerate(entries):
        # each exercise of an nbgrader student from its own assignment folder (staging.collect)
        entry = gather(student, path, work / f"{i:05d}")
        moved = rows.get(student) not in (None, staging.printable(path.name))
        if not force and not moved and book.current(student, entry.content_hash, request.seed,
                                                     request.exercises, request.device):
            run.skipped += 1
            shutil.rmtree(work / f"{i:05d}", ignore_errors=True)
            if html_dir and not (Path(html_dir) / page_name(student)).exists():
                _page_from_book(book, student, html_dir)
            continue
        tasks.append(entry)
    job = _Job(request.to_dict(), html_dir=str(html_dir) if html_dir else None,
               jobs=min(jobs, max(1, len(tasks))), references=str(work / "references"))
    run.jobs = job.jobs
    if client is not None:
        run.cluster = str(client.scheduler.address)
        _run_on_cluster(tasks, book, run, run_id, request, job, timeout, progress, client,
                        on_event)
    else:
        _run_tasks(tasks, book, run, run_id, request, job, timeout, progress)
    book.finish_run(run_id, run.graded, run.skipped)
    _, rows, maxes = book.table()
    mine = set(run.students)
    totals = [total for name, _, total in rows if name in mine]
    run.mean = sum(totals) / len(totals) if totals else 0.0
    run.max_score = maxes.get("total", 0.0)
    if html_dir:
        from grader.classroom.summary import write_summary
        try:
            write_summary(book, Path(html_dir) / "summary.html")
        except Exception as exc:  # noqa: BLE001 - the grades stand without the summary
            run.notes.append(f"summary.html was not written: {type(exc).__name__}: "
                             f"{staging.shown(str(exc), quote=False, limit=200)}")


# ----------------------------------------------------------------------------------------------
# who is who from run to run: a name stays with its entry, and a row no entry maps to is said

UNLISTED = "unlisted"    # the gradebook's meta key: {class folder: [students no entry maps to]}


def _class_rows(book, folder, where) -> dict[str, str]:
    """{student: the entry she was last graded from (its name)} for each student of the
    gradebook last graded from this class folder (by the run that graded her: its folder, the
    course or its submitted/ folder alike), in the order the students were first filed."""
    rows, same = {}, {}
    for student, source, run_folder in book.filed():
        if not run_folder:
            continue
        if run_folder not in same:
            same[run_folder] = _same_class(Path(run_folder), folder, where)
        if same[run_folder]:
            rows[student] = os.path.basename(source)
    return rows


def _same_class(path: Path, folder, where) -> bool:
    try:
        return _same(path, folder) or _same(path, where) or \
            (path.is_dir() and _same(submissions_folder(path), where))
    except OSError:
        return False


def _moves(rows: dict, entries, book, where) -> list[str]:
    """Notes on the students of this class folder in the gradebook whose entry changed (now
    graded from another entry) or is gone (no entry maps to them: their rows keep their last
    grades, and `export` says so); the gone ones are kept in the gradebook (UNLISTED)."""
    notes = []
    now = {student: path for student, path in entries}
    for student, path in entries:
        before = rows.get(student)
        if before is not None and before != staging.printable(path.name):
            notes.append(clean(f"{student}: graded from {staging.shown(path.name)} now, from "
                               f"'{before}' before", LINE, lines=False))
    gone = [s for s in rows if s not in now]
    if gone:
        shown = ", ".join(f"{staging.shown(s)} (from '{rows[s]}')" for s in gone[:10]) + \
            (f" and {len(gone) - 10} more" if gone[10:] else "")
        notes.append(clean(f"the gradebook holds {len(gone)} student{'s' * (len(gone) != 1)} "
                           f"of this class folder that no entry maps to any more: {shown}; "
                           f"each row keeps its last grade, and export writes it with a "
                           f"warning", LINE, lines=False))
    try:
        kept = json.loads(book.get_meta(UNLISTED) or "{}")
        kept = kept if isinstance(kept, dict) else {}
    except ValueError:
        kept = {}
    key = os.path.realpath(where)
    if gone:
        kept[key] = gone
    else:
        kept.pop(key, None)
    book.set_meta(UNLISTED, json.dumps(kept))
    return notes


def unlisted_students(book) -> list[str]:
    """The gradebook's students that no entry of their class folder mapped to at its last run
    (their rows hold the grade of an entry no longer there): `export` warns about them."""
    try:
        kept = json.loads(book.get_meta(UNLISTED) or "{}")
    except ValueError:
        return []
    if not isinstance(kept, dict):
        return []
    graded = set(book.students())
    return sorted({s for names in kept.values() if isinstance(names, list)
                   for s in names if s in graded})


# ----------------------------------------------------------------------------------------------
# the run's outputs: never a student's entry

def _same(a, b) -> bool:
    return os.path.abspath(a) == os.path.abspath(b) or \
        os.path.realpath(a) == os.path.realpath(b)


def _within(path, folder) -> bool:
    """Is `path` `folder` or inside it (as written, or with links resolved)?"""
    for a, b in ((os.path.abspath(path), os.path.abspath(folder)),
                 (os.path.realpath(path), os.path.realpath(folder))):
        if a == b or a.startswith(b.rstrip(os.sep) + os.sep):
            return True
    return False


def _student_entry(path, raw, outputs: Outputs | None = None) -> Path | None:
    """The student's entry (of the listing `raw`) that `path` is, or lies inside; None when it
    is none, or is the grader's own output."""
    for entry in raw:
        if _same(path, entry) and not (outputs is not None and outputs.owns(entry)):
            return entry
        if _within(path, entry) and not _same(path, entry) and \
                not (outputs is not None and outputs.owns(entry)):
            return entry
    return None


def open_gradebook(db, folder) -> tuple[Gradebook, list[str]]:
    """The gradebook of a class run on `folder`, and notes on where it is and why.

    `db` named: that file, if it is this grader's gradebook or nothing is there; one copied or
    moved there (or written before gradebooks were marked) is taken in, unless it lies in the
    class folder, where a student's file could pose as it. Anything else (a folder, a student's
    entry or a path inside one, another program's database, a file beside it that SQLite would
    read) raises OutputRefused: nothing is graded, nothing there is touched.

    `db` None (the default): gradebook.db in the current folder when it is this grader's or
    free; else the folder's kept gradebook (gradebook.kept_path: private, one per folder, found
    again by every later run and by `export` from the same folder), with a note that says where
    and why. Every student is graded either way."""
    folder = Path(folder)
    raw = [p for p, _ in _entries(submissions_folder(folder))]
    if db is not None:
        return _named_gradebook(Path(db), folder, raw)
    here = Path.cwd() / gradebooks.DEFAULT
    place = gradebooks.inspect(here)
    entry = next((e for e in raw if _within(here, e) and not _same(here, e)), None)
    if entry is None and place.usable:
        return Gradebook(here), []
    kept = gradebooks.kept_path(here)
    why = (f"lies in the student entry {staging.shown(entry.name)}" if entry is not None
           else _taken(place) if place.state != "free" else "")
    if gradebooks.inspect(kept).usable:
        return Gradebook(kept), [f"gradebook {kept}: this folder's, kept there since "
                                 f"{here.name} here was found taken"
                                 + (f" ({here.name} here {why})" if why else "")]
    if entry is None and place.state == "free":
        return Gradebook(here), []
    if entry is None and place.state == "moved" and not place.blocked and \
            not _within(here, folder):
        return Gradebook(here, adopt=True), [
            f"{here} was copied or moved here, or written by an earlier version: taken in as "
            f"this class's gradebook"]
    try:
        if entry is None and place.state == "ours":      # a file beside it is not its own
            gradebooks.copy_gradebook(here, kept)
            book = Gradebook(kept, adopt=True)
            how = f"its grades are copied to {kept}, this class's gradebook from now on"
        else:
            book = Gradebook(kept)
            how = f"it is left as it is; this class's gradebook is kept at {kept}"
    except (OSError, sqlite3.Error, OutputRefused) as exc:
        raise OutputRefused(f"{here.name} here {why}, and no private folder could hold the "
                            f"gradebook instead ({exc}): nothing was graded. Name a gradebook "
                            f"outside the class folder, e.g. --db ../gradebook.db") from None
    return book, [f"{here.name} here {why}: {how} (`torchdrills export` run here finds it)"]


def _holders(path: Path, where: Path) -> list[Path]:
    """The entry of the class folder `where` that holds the gradebook `path` (--db
    sub/gradebook.db): a folder of the grader's own, known by the gradebook in it."""
    if not _within(path, where) or _same(Path(path).parent, where):
        return []
    rel = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(where)))
    return [Path(os.path.abspath(where)) / rel.parts[0]] if len(rel.parts) > 1 else []


def _taken(place) -> str:
    if place.state in ("ours", "moved") and place.blocked:
        return f"is blocked: {place.blocked}"
    return f"is {place.what}"


def _named_gradebook(path: Path, folder: Path, raw) -> tuple[Gradebook, list[str]]:
    place = gradebooks.inspect(path)
    shown = staging.shown(str(path))
    entry = next((e for e in raw if _within(path, e) and not _same(path, e)), None)
    # a folder that holds the grader's own gradebook is the grader's (_holders), not a student's
    if entry is not None and not place.usable:
        raise OutputRefused(f"--db {shown} lies inside the student entry "
                            f"{staging.shown(entry.name)} of the class folder: a gradebook is "
                            f"never written into a student's folder; nothing was graded. Name a "
                            f"file outside it, e.g. --db ../gradebook.db")
    if place.state == "free" or place.usable:
        return Gradebook(path), []
    if place.state == "moved" and not place.blocked:
        if not _within(path, folder):
            return Gradebook(path, adopt=True), [
                f"{path} was copied or moved there, or written by an earlier version: taken "
                f"in as this class's gradebook"]
        raise OutputRefused(f"--db {shown} is {place.what}, and it lies in the class folder, "
                            f"where students' files are: it is not opened; nothing was graded. "
                            f"If it is yours, move it out of the class folder and name it "
                            f"there, e.g. --db ../gradebook.db")
    raise OutputRefused(f"--db {shown} {_taken(place)}: nothing was graded and nothing there "
                        f"was touched. Name a file of its own, e.g. --db ../gradebook.db")


def _pages_folder(html: Path, folder: Path, where: Path, raw, outputs: Outputs) -> Path:
    """The folder of the feedback pages, made if need be: never the class folder itself, a
    student's entry or a folder inside one (OutputRefused). Kept inside the class folder, its
    top folder there is marked with the gradebook's secret (PAGES_MARK), so that this and later
    runs know it as this grader's, not a student's."""
    shown = staging.shown(str(html))
    if _same(html, where) or _same(html, folder):
        raise OutputRefused(f"--html-dir {shown} is the class folder itself: the pages would "
                            f"lie among the students' entries; nothing was graded. Give them a "
                            f"folder of their own, e.g. --html-dir feedback")
    entry = _student_entry(html, raw, outputs)
    if entry is not None:
        raise OutputRefused(f"--html-dir {shown} is "
                            f"{'' if _same(html, entry) else 'inside '}the student entry "
                            f"{staging.shown(entry.name)} in the class folder: pages are never "
                            f"written into a student's folder; nothing was graded. Give them "
                            f"a folder of their own, e.g. --html-dir ../feedback")
    if os.path.lexists(html) and not html.is_dir():
        raise OutputRefused(f"--html-dir {shown} is a file, not a folder; nothing was graded")
    html.mkdir(parents=True, exist_ok=True)
    if _within(html, where):
        rel = Path(os.path.relpath(os.path.abspath(html), os.path.abspath(where)))
        top = Path(os.path.abspath(where)) / rel.parts[0]
        _mark_pages(top, outputs.pages_token)
        outputs.add(top)
    return html


def _mark_pages(folder: Path, token: str) -> None:
    if _pages_mark(folder) == token:
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    fd = os.open(folder / PAGES_MARK, flags, 0o644)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(f"torchdrills feedback pages {token}\n")


def _export(book, path: Path, where, raw, outputs, run, named_db=False) -> None:
    """The CSV of a class run: never over a student's entry, the gradebook or a folder; a
    refusal is run.csv_problem (the grades stay in the gradebook)."""
    entry = _student_entry(path, raw, outputs)
    if entry is not None:
        problem = (f"is {'' if _same(path, entry) else 'inside '}the student entry "
                   f"{staging.shown(entry.name)} in the class folder")
    else:
        problem = book.csv_problem(path)
        problem = f"is {problem}" if problem else ""
    if not problem:
        try:
            book.export_csv(path)
            run.csv = str(path)
            return
        except (OSError, OutputRefused) as exc:
            problem = f"could not be written ({exc})"
    again = "torchdrills export --csv ../grades.csv" + \
        (f" --db {staging.shown(str(book.path))}" if named_db else "")
    run.csv_problem = (f"--csv {staging.shown(str(path))} {problem}: the CSV was not "
                       f"written; the grades are in the gradebook. Export them elsewhere, "
                       f"e.g. {again}")


def _page_from_book(book, student, html_dir):
    try:
        from grader.classroom.feedback import write_page
        write_page(book.result(student), Path(html_dir) / page_name(student), student=student,
                   notes=book.notes(student))
    except Exception:  # noqa: BLE001 - the grade stands without its page
        pass


def _readable_tasks(tasks, book, run, run_id, request: GradeRequest, job: _Job) -> deque:
    """Record the submissions that could not be read (no grading needed); the others, as
    tasks for the grading processes or the cluster."""
    for entry in tasks:
        if entry.error:
            task = {"student": entry.student, "source": staging.printable(entry.source),
                    "folder": "", "hash": entry.content_hash,
                    "notes": list(entry.problems) + [entry.error]}
            _record(book, task, error_result(task["source"], request, entry.error), run,
                    run_id, request, job, page=True)
    return deque({"student": e.student, "folder": str(e.folder),
                  "source": staging.printable(e.source),
                  "hash": e.content_hash, "notes": list(e.problems)}
                 for e in tasks if not e.error)


def _run_on_cluster(tasks, book, run, run_id, request: GradeRequest, job: _Job, timeout,
                    progress, client, on_event=None):
    """The same, on a Dask cluster (grader.classroom.cluster): this process records each result as it
    arrives, and writes the feedback pages from the gradebook."""
    from grader.classroom.cluster import run_on_cluster
    tasks = _readable_tasks(tasks, book, run, run_id, request, job)
    if not tasks:
        return
    bar = _Bar(len(tasks) + run.graded, progress, done=run.graded)

    def record(task, result):
        _record(book, task, result, run, run_id, request, job, page=True)

    def event(name, task):
        if name in ("done", "failed"):
            bar.advance(task["student"])
        bar.count(name)
        if on_event is not None:
            on_event(name, task["student"])

    try:
        run_on_cluster(list(tasks), client, request, record, progress=event, timeout=timeout)
    finally:
        bar.close()


def _run_tasks(tasks, book, run, run_id, request: GradeRequest, job: _Job, timeout, progress):
    """Hand the submissions to the grading processes one at a time; record each result."""
    if not tasks:
        return
    tasks = _readable_tasks(tasks, book, run, run_id, request, job)
    if not tasks:
        return
    method = start_method(request.device)
    fork = method == "fork"
    ctx = multiprocessing.get_context(method)
    bar = _Bar(len(tasks) + run.graded, progress, done=run.graded)
    n = min(job.jobs, len(tasks))
    zygotes = []

    def start(count):
        """Start `count` grading processes. Forked: the zygotes boot first (they import torch),
        while this process warms up once for all of its children."""
        if not fork:
            return [_Process(ctx, job) for _ in range(count)]
        from grader.sandbox import Zygote
        new = [Zygote() for _ in range(count)]
        zygotes.extend(new)
        _warm_up(request.exercises)
        if not Path(job.references).exists():   # while the zygotes boot, once
            _reference_table(request, job.references)
        return [_Process(ctx, job, z, new[i + 1:]) for i, z in enumerate(new)]

    procs = start(n)
    if not Path(job.references).exists():   # spawned: while they boot
        _reference_table(request, job.references)
    failed_starts = 0
    try:
        while tasks or any(p.task for p in procs):
            for p in procs:
                if p.ready and p.task is None and tasks:
                    p.give(tasks.popleft())
            wait([p.conn for p in procs] + [p.proc.sentinel for p in procs], timeout=0.25)
            for p in list(procs):
                message = None
                try:
                    if p.conn.poll():
                        message = p.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is not None and "ready" in message:
                    p.ready = True
                    continue
                if message is not None:
                    _record(book, p.task, GradeResult.from_dict(message["result"]), run,
                            run_id, request, job)
                    bar.advance(p.task["student"])
                    p.task = None
                    continue
                overdue = p.task is not None and time.monotonic() - p.started > timeout
                if p.proc.is_alive() and not overdue:
                    continue
                task = p.task
                p.stop(hard=True)
                procs.remove(p)
                if task is not None:
                    why = (f"grading stopped after {timeout:g} s (the time limit of one "
                           f"submission)" if overdue else
                           f"the grading process ended unexpectedly (exit code "
                           f"{p.proc.exitcode})")
                    task["notes"] = list(task.get("notes", ())) + [why]
                    _record(book, task, error_result(task["source"], request, why), run,
                            run_id, request, job, page=True)
                    bar.advance(task["student"])
                elif not p.ready:
                    failed_starts += 1
                    if failed_starts >= 3:
                        raise RuntimeError(f"the grading processes could not start (exit code "
                                           f"{p.proc.exitcode}); try `python -m grader grade` "
                                           f"on one submission to see why")
                if tasks and len(procs) < job.jobs:
                    procs.extend(start(1))
            bar.refresh()
    finally:
        for p in procs:          # ask them all first: they shut down side by side
            p.ask_to_stop(hard=p.task is not None)
        for p in procs:
            p.stop(hard=p.task is not None)
        for z in zygotes:       # started here: reaped here (they end when their socket closes)
            _reap(z)
        bar.close()


def _reap(zygote):
    try:
        zygote.proc.wait(timeout=5)
    except Exception:  # noqa: BLE001 - still running: stop it
        try:
            zygote.proc.kill()
            zygote.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass
    spool = getattr(zygote, "spool", None)   # the zygote's private folder, if it has one
    if spool:
        shutil.rmtree(spool, ignore_errors=True)


def start_method(device="all") -> str:
    """How grading processes start: "fork" (Linux, CPU: they inherit this process's warm
    imports and reference table) or "spawn" (elsewhere, and wherever torch sees a GPU, whatever
    the class's device: there a process forked from one that ran autograd cannot run autograd
    ("Unable to handle autograd's threading in combination with fork-based multiprocessing"),
    and this process runs the references before it forks; a correct ex02 scored 32/50 so on an
    H100 machine). GRADER_START_METHOD=fork|spawn decides, except that fork is never used where
    it breaks autograd."""
    forced = os.environ.get("GRADER_START_METHOD", "")
    from grader.sandbox.device import cuda_available   # (through NVML: this process may still fork)
    if not sys.platform.startswith("linux") or cuda_available():
        return "spawn"
    if forced in ("fork", "spawn"):
        return forced
    if device != "cpu":
        import torch
        if torch.version.cuda or getattr(torch.version, "hip", None):
            return "spawn"
    return "fork"


def _record(book, task, result, run, run_id, request: GradeRequest, job: _Job, page=False):
    book.record(task["student"], result, content_hash=task["hash"], run_id=run_id,
                source=task["source"], device=request.device, notes=task.get("notes", ()))
    run.notes += [clean(f"{task['student']}: {n}", LINE, lines=False)
                  for n in task.get("notes", ())]
    if page and job.html_dir:
        _page_from_book(book, task["student"], job.html_dir)
    if task["folder"]:
        shutil.rmtree(task["folder"], ignore_errors=True)
    run.graded += 1
    if result.errors:
        run.failed += 1


class _Bar:
    """A rich progress bar on stderr (refreshed by the loop: no thread), or nothing."""

    def __init__(self, total, enabled, done=0):
        self.progress = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)
        except ImportError:
            return
        self.progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                 TextColumn("{task.fields[counts]}"),
                                 TextColumn("{task.fields[last]}"),
                                 console=Console(stderr=True), auto_refresh=False,
                                 transient=False)
        self.task = self.progress.add_task("grading", total=total, completed=done, last="",
                                           counts="")
        self.counts = {"failed": 0, "retried": 0}
        self.progress.start()

    def count(self, event):
        """A cluster run's failed and retried submissions, shown beside the bar."""
        if self.progress is not None and event in self.counts:
            self.counts[event] += 1
            text = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
            self.progress.update(self.task, counts=text)

    def advance(self, student):
        if self.progress is not None:
            from rich.markup import escape   # a name is text, never markup ('[/]' raises)
            self.progress.update(self.task, advance=1, last=escape(student))

    def refresh(self):
        if self.progress is not None:
            self.progress.refresh()

    def close(self):
        if self.progress is not None:
            self.progress.refresh()
            self.progress.stop()
