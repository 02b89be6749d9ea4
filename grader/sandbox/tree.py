"""A submission's folder walked for its exercise files: every entry opened relative to its
folder's descriptor without following a link (Tree), each exercise file found a Candidate, and
what was found and left out gathered in Found, with notes for people.

    found = Found(); tree = Tree(fd); tree.walk(fd, (), candidates, found)
"""
from __future__ import annotations

import collections
import itertools
import os
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from grader.sandbox.files import (DIR_FLAGS, LINK, kind_of, open_dir_by_path, open_error,
                                  open_file, read_fd, shown)
from grader.exercises import EXERCISES
from grader.sandbox.names import NBGRADER_STAMP, exercise_of, name_problem, skipped_dir

MAX_DEPTH = 3                    # folder levels looked into below a submission's folder or zip
MAX_DIR_ENTRIES = 10_000         # entries looked at in a submission's folders
MAX_FOLDER_ENTRIES = 2_000       # of one folder (a data set's, a virtual environment's)
MAX_NOTES = 20                   # notes about one submission's files; then a count
MAX_OWN_MODULES = 10             # modules of the student's own (utils.py) staged with the files
# A data file of the student's own that her code reads (settings.json beside the exercise):
# text only (a pickle could run code no one has read), staged where the code names it
DATA_SUFFIXES = (".json", ".csv", ".tsv", ".txt", ".yaml", ".yml", ".toml", ".ini", ".cfg")
MAX_DATA_FILES = 10
MAX_DATA_BYTES = 5 * 1024**2      # one data file



@dataclass
class Candidate:
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
    modules: dict = field(default_factory=dict)   # module -> (file name, bytes): staged too
    own_modules: list = field(default_factory=list)   # Candidate(module name, ...) seen
    data: dict = field(default_factory=dict)      # data file name -> bytes: staged too
    data_seen: list = field(default_factory=list)     # Candidate(file name, ...) seen
    misnamed: list = field(default_factory=list)  # (path parts, exercise): a similar name

    def note(self, text: str):
        if text in self.notes:
            return
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self.more_notes += 1

    def saw_module(self, parts: tuple, read) -> None:
        """A module of the student's own (utils.py) at `parts`: staged where it lies beside a
        graded exercise file (staging.own_modules); a notebook is never a module."""
        if parts[-1].endswith(".py") and len(self.own_modules) < MAX_OWN_MODULES * 4:
            self.own_modules.append(Candidate(parts[-1][:-3], parts, read=read))
        elif not parts[-1].endswith(".py") and len(self.helpers) < 5:
            self.helpers.append("/".join(parts))

    def saw_data(self, parts: tuple, read) -> None:
        """A data file of the student's own (settings.json): staged where it lies beside the
        graded exercise files and their code names it (own.keep_named)."""
        if len(self.data_seen) < MAX_DATA_FILES * 4:
            self.data_seen.append(Candidate(parts[-1], parts, read=read))

    def all_notes(self) -> list[str]:
        extra = [f"{self.more_notes} more entries left out"] if self.more_notes else []
        return list(self.notes) + extra


def helper_module(name: str) -> bool:
    """A Python module of the student's own beside the exercise files (utils.py, helpers.py,
    a package's mypkg/__init__.py), staged with them when its name can be imported as the student's own
    (staging.own_modules); a notebook of that kind is worth a note, since it cannot be
    imported. A private name (_helpers.py, mypkg/_core.py) is hers too; hidden files and
    Python's own dunder names (__main__.py) are not."""
    return name.endswith((".py", ".ipynb")) and not name.startswith((".", "__")) \
        and name not in ("setup.py", "conftest.py") or name == "__init__.py"


def data_file(name: str) -> bool:
    """A text data file of the student's own (settings.json, _cache.csv; not a hidden one)."""
    return name.lower().endswith(DATA_SUFFIXES) and not name.startswith((".", "__"))


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


def left_out(parts, why: str) -> str:
    return f"left out {shown('/'.join(parts))}: {why}"


class Tree:
    """A folder opened without following links; every descriptor is closed by close(). (A
    folder given as a path, not a descriptor, is walked by path: staging's _open_root_by_path,
    on a machine without descriptor-relative opens, in a student's own check.)"""

    def __init__(self, fd: int):
        self.fds = [fd]
        self.seen = 0
        self.layout = Layout()

    def close(self):
        for fd in self.fds:
            if isinstance(fd, str):   # walked by path: nothing to close
                continue
            try:
                os.close(fd)
            except OSError:
                pass

    def walk(self, fd: int, parts: tuple, out: list, found: Found):
        """Every folder's entries, the folders nearest the top first (a level at a time), at
        most MAX_FOLDER_ENTRIES of one folder and MAX_DIR_ENTRIES in all: a data set or a
        virtual environment beside the exercise files never hides them."""
        queue = collections.deque([(fd, parts)])
        while queue and self.seen <= MAX_DIR_ENTRIES:
            self._folder(*queue.popleft(), out, found, queue)

    def _folder(self, fd, parts: tuple, out: list, found: Found, queue):
        try:
            with os.scandir(fd) as it:
                entries = list(itertools.islice(it, MAX_FOLDER_ENTRIES + 1))
        except OSError as exc:
            found.note(left_out(parts or (".",), f"could not be read ({exc.strerror or exc})"))
            return
        if len(entries) > MAX_FOLDER_ENTRIES:
            found.note(f"looked at {MAX_FOLDER_ENTRIES} entries of "
                       f"{shown('/'.join(parts) or '.')}, which holds more")
            entries = entries[:MAX_FOLDER_ENTRIES]
        entries.sort(key=lambda e: (exercise_of(e.name) is None, e.name))
        for e in entries:
            self.seen += 1
            if self.seen > MAX_DIR_ENTRIES:
                found.note(f"stopped looking after {MAX_DIR_ENTRIES} entries")
                return
            here = parts + (e.name,)
            ex = exercise_of(e.name)
            problem = name_problem(e.name)
            if problem:
                found.note(left_out(here, problem))
                if ex:
                    out.append(Candidate(ex, here, refused=left_out(here, problem)))
                continue
            try:
                is_link = e.is_symlink()
                if isinstance(fd, str) and not is_link:   # by path: a junction too (Windows)
                    is_link = is_link_entry(e)
                is_dir = not is_link and e.is_dir(follow_symlinks=False)
                is_file = not is_link and e.is_file(follow_symlinks=False)
            except OSError:
                is_link = is_dir = is_file = False
            if is_link:
                why = left_out(here, LINK)
                found.note(why)
                if ex:
                    out.append(Candidate(ex, here, refused=why))
                continue
            self.layout.saw(here, is_dir, is_file)
            if is_dir:
                if ex:
                    why = left_out(here, "a folder, not a file")
                    found.note(why)
                    out.append(Candidate(ex, here, refused=why))
                if skipped_dir(e.name) or len(parts) >= MAX_DEPTH:
                    continue
                try:
                    sub = os.open(e.name, DIR_FLAGS, dir_fd=fd) if not isinstance(fd, str) \
                        else open_dir_by_path(fd, e.name)
                except OSError as exc:
                    found.note(left_out(here, open_error(exc, e.name).args[0]))
                    continue
                self.fds.append(sub)
                queue.append((sub, here))
                continue
            if ex is None:
                if is_file and misnamed(e.name) and len(found.misnamed) < 5:
                    found.misnamed.append((here, misnamed(e.name)))
                elif is_file and helper_module(e.name):
                    found.saw_module(here, reader_at(fd, e.name))
                elif is_file and data_file(e.name):
                    found.saw_data(here, reader_at(fd, e.name))
                continue
            if not is_file:
                try:
                    what = kind_of(e.stat(follow_symlinks=False).st_mode)
                except OSError:
                    what = "not a regular file"
                why = left_out(here, f"{what}, not a regular file")
                found.note(why)
                out.append(Candidate(ex, here, refused=why))
                continue
            out.append(Candidate(ex, here, read=reader_at(fd, e.name)))


@dataclass
class Layout:
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


def reader_at(dir_fd: int, name: str):
    def read(cap):
        fd = open_file(name, dir_fd=dir_fd)
        try:
            return read_fd(fd, cap)
        finally:
            os.close(fd)
    return read


def is_link_entry(entry) -> bool:
    """A folder's entry that is a link or a junction, by its own stat (Windows' reparse
    point), for a folder walked by path."""
    from grader.sandbox.portable import is_link
    return is_link(entry.stat(follow_symlinks=False))
