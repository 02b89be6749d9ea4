"""A class folder's entries: which are students' (class_entries, and notes on those that are not
graded as they might look), what the class run knows as its own among them (Outputs, by
identity), and one student's submission gathered into a private flat folder (gather).

A class folder holds one entry per student:
  - a folder `alice/` with her exNN_*.py files or notebooks (nested folders are looked into),
  - or a zip `bob.zip` (read safely: no absolute or `..` paths, no links, size caps),
  - or nbgrader's tree `submitted/STUDENT/ASSIGNMENT/exNN_*.ipynb` (give the course folder or
    its `submitted/` folder): one student's assignment folders together form her submission.
  - or an LMS's bulk download (grader.classroom.downloads): Canvas's flat files
    `smithjohn_12345_67890_ex01_linear_model.py`, one student's together, or Moodle's folders
    `John Smith_4567_assignsubmission_file_/`, each filed under the student's name.
Each entry is filed under a name of its own (grader.classroom.filing).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from grader.classroom import downloads, gradebook_files
from grader.classroom.filing import file_names, filing_note
from grader.sandbox import staging
from grader.sandbox import names
from grader.sandbox.apart import imported_closure, module_named
from grader.sandbox.files import kind_of
from grader.sandbox.tree import data_file

# Caps and names are grader.sandbox.staging's, the one way files enter (here as names to
# monkeypatch).
MAX_FILE_BYTES = staging.MAX_FILE_BYTES    # one exercise file
MAX_TOTAL_BYTES = staging.MAX_TOTAL_BYTES  # all exercise files of one submission
exercise_of = staging.exercise_of


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
    exercises: dict = field(default_factory=dict)       # exercise -> its file, one of `files`
    problems: list[str] = field(default_factory=list)   # e.g. unsafe paths left out
    error: str = ""               # why nothing could be read (a corrupt zip, ...)


# Entries of a class folder that are never a student's: what archivers, editors, version control
# and file browsers leave (staging.NOT_STUDENTS: left out quietly), and hidden names ('.alice':
# left out, with a note). Nothing else is left out by its name: a folder called 'feedback',
# '__bob' or 'gradebook.db' is a student's, unless it is this grader's own output, known by
# identity (Outputs).
# A folder of feedback pages that grade-class keeps inside the class folder holds this file,
# with the gradebook's secret (Gradebook.pages_token): so a later run knows it as this grader's.
PAGES_MARK = ".torchdrills-pages"
# nbgrader's course layout (staging.nbgrader_course)
NBGRADER_COURSE = staging.NBGRADER_COURSE
NBGRADER_FILES = staging.NBGRADER_FILES


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
            return bool(self.pages_token) and pages_mark(path) == self.pages_token
        if stat.S_ISREG(st.st_mode):
            if st.st_ino in self.exports and _head(path, 8) == b"student,":
                return True        # a CSV this gradebook wrote (named like a zip)
            return _head(path, 16) == b"SQLite format 3\0" and \
                gradebook_files.inspect(path).state == "ours"    # a gradebook of this grader
        return False


def _head(path, n) -> bytes:
    try:
        return staging.read_head(path, n)
    except (staging.Refused, OSError):
        return b""


def pages_mark(folder: Path) -> str:
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
    gradebook (the run's, roster.class_rows), so that a name stays with its entry from run to
    run."""
    return list_class(folder, outputs, filed)[0]


def list_class(folder, outputs: Outputs | None = None,
               filed: dict | None = None) -> tuple[list[tuple[str, Path]], list[str]]:
    """class_entries, and notes for the instructor on names that read alike."""
    where = submissions_folder(folder)
    paths, notes = downloads.extras([p for p, _ in _listed(where, outputs)])
    paths += downloads.bundles(where, {p.name for p in paths},
                               outputs.owns if outputs is not None else (lambda p: False))
    names = {p.name: downloads.display_name(p) for p in paths}
    students, more = file_names(names, filed)
    notes += more
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
    for path, kind in _unreadable_zips(where):
        notes.append(f"not graded: {staging.shown(path.name)} is {kind}, not a zip file; if "
                     f"it is a student's, ask her for the zip again")
    hidden = [p for p in staging.class_listing(where)[1]
              if not (outputs is not None and outputs.owns(p))]
    if hidden:
        shown = ", ".join(staging.shown(p.name) for p in hidden[:10]) + \
            (f" and {len(hidden) - 10} more" if hidden[10:] else "")
        notes.append(f"not graded, as hidden: {shown} (a name that starts with '.' is left "
                     f"out; if one is a student's, rename it without the dot)")
    return notes


def _unreadable_zips(folder: Path) -> list:
    """(path, what it is) of each entry of `folder` named like a zip that is neither a file
    nor a folder, nor a link to one (a FIFO, a socket, a device, a broken link)."""
    found = []
    try:
        listing = sorted(Path(folder).iterdir())
    except OSError:
        return found
    for p in listing:
        if p.suffix.lower() != ".zip" or names.not_a_student(p.name) or names.hidden(p.name):
            continue
        try:
            if p.is_dir() or p.is_file():
                continue
            mode = os.lstat(p).st_mode
        except OSError:
            continue
        found.append((p, "a broken link" if stat.S_ISLNK(mode) else kind_of(mode)))
    return found[:20]


def entry_paths(folder: Path, outputs: Outputs | None = None):
    """(path, is_dir) of each entry of `folder` that could be a student's, sorted: a folder or
    a .zip (a link: what it points to), not what tools leave, not hidden
    (staging.class_listing), not the grader's own `outputs`; then each file of an LMS's flat
    download (downloads.bundles: a student's too, never to be written over)."""
    yield from _listed(folder, outputs)
    owns = outputs.owns if outputs is not None else (lambda p: False)
    for bundle in downloads.bundles(Path(folder), (), owns):
        for path in bundle.files:
            yield path, False


def _listed(folder: Path, outputs: Outputs | None = None):
    for p, is_dir in staging.class_listing(folder)[0]:
        if outputs is not None and outputs.owns(p):
            continue
        yield p, is_dir


def gather(student: str, source: Path, into: Path, assignments: bool | None = None) -> Entry:
    """Copy the exercise files of one submission (folder or zip) flat into `into`, and hash
    them; never raises: an unreadable submission comes back with `error` set. What is read
    and how is grader.sandbox.staging's (regular files only, no link followed, sizes capped,
    a zip checked against the caps before it is parsed); what it left out is in `problems`.
    Assignment boundaries are staging.collect's to decide, as for `grade`: each exercise of a
    student's entry in nbgrader's submitted/ tree (a folder, or a zip put there) is read from
    its own assignment folder only (assignments=True or False decides instead)."""
    entry = Entry(student, source if isinstance(source, Path) else Path(source))
    digest = hashlib.blake2b(digest_size=16)
    label = staging.shown(entry.source.name, quote=False)
    note = filing_note(entry.source, student)
    entry.problems += [n for n in (note, downloads.late_note(entry.source)) if n]
    try:
        if isinstance(entry.source, downloads.Bundle):   # files of a flat LMS download
            found = downloads.collect(entry.source, into.with_name(into.name + "-files"),
                                      max_file=MAX_FILE_BYTES, max_total=MAX_TOTAL_BYTES)
        else:
            found = staging.collect(entry.source, max_file=MAX_FILE_BYTES,
                                    max_total=MAX_TOTAL_BYTES, assignments=assignments)
            inner = _lone_zip(entry.source) if not found.files else None
            if inner is not None:     # her folder holds one zip and no exercise file
                found = staging.collect(inner, max_file=MAX_FILE_BYTES,
                                        max_total=MAX_TOTAL_BYTES, assignments=assignments)
                entry.problems.append(f"no exercise file in the folder; graded the files of "
                                      f"{staging.shown(inner.name)}, the one zip in it")
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


def _lone_zip(folder: Path) -> Path | None:
    """The one zip (a regular file, no link) directly in the student's `folder`, where there
    is exactly one: a Moodle download keeps the zip she uploaded (`Bob Builder_4568_
    assignsubmission_file_/hw.zip`), which is then her submission, read by staging's zip
    rules. None: no folder, no zip, or several."""
    try:
        if not isinstance(folder, Path) or not stat.S_ISDIR(os.lstat(folder).st_mode):
            return None
        zips = [p for p in folder.iterdir() if p.name.lower().endswith(".zip")
                and stat.S_ISREG(os.lstat(p).st_mode)]
    except OSError:
        return None
    return zips[0] if len(zips) == 1 else None


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
        entry.exercises[ex] = name
    for module in sorted(found.modules):     # the student's own modules (utils.py, and
        name, data = found.modules[module]   # mypkg/core.py in its package's folder)
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        (into / name).write_bytes(data)
        entry.files.append(name)
    for name, data in sorted(found.data.items()):   # her data files (data/points.csv)
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        (into / name).write_bytes(data)
        entry.files.append(name)
    return into


def exercise_hashes(entry: Entry) -> dict[str, str]:
    """{exercise: the content hash of its gathered file, and of the student's own modules and
    other exercises' files it imports (utils.py; ex03's file, imported by ex02) and the data
    files they name} of a gathered entry (none when it could not be read): what tells a
    changed exercise from one handed in before. A changed utils.py changes every exercise
    that imports it. The exercise's file is the one graded (entry.exercises), never a module
    of hers named like it (ex01_a.py, imported by ex01_linear_model.py)."""
    if entry.folder is None:
        return {}
    data = {name: (Path(entry.folder) / name).read_bytes() for name in sorted(entry.files)}
    own = {module_named(name): data[name] for name in data if name.endswith(".py")}
    files = [name for name in data if data_file(name)]
    out = {}
    for ex, name in sorted(entry.exercises.items()):
        digest = hashlib.blake2b(name.encode() + b"\0" + data[name], digest_size=16)
        modules = sorted(imported_closure(name, data[name], own) - {module_named(name)})
        for module in modules:
            digest.update(b"\0" + module.encode() + b"\0" + own[module])
        for file in named_files(files, [data[name]] + [own[m] for m in modules]):
            digest.update(b"\0" + file.encode() + b"\0" + data[file])
        out[ex] = digest.hexdigest()
    return out


def named_files(files, texts) -> list[str]:
    """The data files of the student's own (settings.json) whose name one of `texts` (an
    exercise's file and the modules it imports) writes out: what its code reads
    (sandbox.own.keep_named)."""
    return sorted(f for f in files if any(f.rsplit("/", 1)[-1].encode() in t for t in texts))

