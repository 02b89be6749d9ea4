"""A submission's folder walked for its exercise files: every entry opened relative to its
folder's descriptor without following a link (Tree), each exercise file found a Candidate, and
what was found and left out gathered in Found, with notes for people.

    found = Found(); tree = Tree(fd); tree.walk(fd, (), candidates, found); tree.close()
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
from grader.sandbox.names import (MAX_NAME_CHARS, NBGRADER_STAMP, exercise_of, name_problem,
                                  skipped_dir)

MAX_DEPTH = 3                    # folder levels graded below a submission's folder or zip
MAX_LOOK_DEPTH = 12              # looked into for a note on exercise files kept too deep
# Names listed in all of a submission's folders (what the walk costs, about 10 us a name):
# far above any real submission, a data set of images included; past it, a note
MAX_NAMES = 200_000
MIN_SHARE = 1_000                # names a folder may always list while they are left (share)
MAX_SIGHTED = 20                 # files noted as found but not graded (too deep, misnamed)
MAX_FUZZY = 200                  # .py names compared with every exercise's (about 1 ms each)
MAX_NOTES = 20                   # notes about one submission's files; then a count
# Modules of the student's own (utils.py) staged with the files: at most MAX_OWN_MODULES that one
# exercise file imports (through each other too), of MAX_OWN_SEEN looked at in all, and
# MAX_OWN_BYTES in all (each is reviewed: about 1 s and 40 MB a megabyte)
MAX_OWN_MODULES = 20
MAX_OWN_SEEN = 160
MAX_OWN_BYTES = 5 * 1024**2
# A data file of the student's own that her code reads (settings.json beside the exercise):
# text only (a pickle could run code no one has read), staged where the code names it
DATA_SUFFIXES = (".json", ".csv", ".tsv", ".txt", ".yaml", ".yml", ".toml", ".ini", ".cfg")
MAX_DATA_FILES = 10
MAX_DATA_BYTES = 5 * 1024**2      # one data file
# Modules and data files of her own seen (names only; staging looks at those that can count
# first, MAX_OWN_SEEN and MAX_DATA_FILES * 4 of them: staging.nearest_first)
MAX_SEEN = 5_000



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
    deep: list = field(default_factory=list)      # (path parts, exercise): below MAX_DEPTH

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
        if parts[-1].endswith(".py") and len(self.own_modules) < MAX_SEEN:
            self.own_modules.append(Candidate(parts[-1][:-3], parts, read=read))
        elif not parts[-1].endswith(".py") and len(self.helpers) < 5:
            self.helpers.append("/".join(parts))

    def saw_data(self, parts: tuple, read) -> None:
        """A data file of the student's own (settings.json): staged where it lies beside the
        graded exercise files and their code names it (own.keep_named)."""
        if len(self.data_seen) < MAX_SEEN:
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


def misnamed(name: str, fuzzy: bool = True) -> str | None:
    """The exercise a .py or .ipynb file seems meant for, by a similar name, when its name is
    not the exercise's (exercise_of finds none): the number written otherwise ('ex1_linear.py',
    'Ex01_linear_model.py', 'exercise_01.py'), or (`fuzzy`) a name close to the exercise's
    own ('linear_model.py', 'ex_linear_model.py'). None for any other file (utils.py)."""
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in (".py", ".ipynb") or exercise_of(name):
        return None
    low = stem.lower()
    m = re.match(r"ex(?:ercise)?[ _-]?0*(\d{1,2})(?!\d)", low)
    if m:
        key = f"ex{int(m.group(1)):02d}"
        return key if key in EXERCISES else None
    if not fuzzy:
        return None
    score, key = max((SequenceMatcher(None, low, module[5:]).ratio(), k)
                     for k, module in EXERCISES.items())
    return key if score >= 0.8 else None


def meant_for(name: str, fuzzy: bool = True) -> str | None:
    """The exercise a file seems meant for by its name (misnamed), its own name under another
    suffix too: 'ex03_autograd_basics.py.txt', '.py.bak', '.py~', '.ipynb (1)' (not .pyc: a
    suffix of its own)."""
    m = re.match(r"(.*?\.(?:py|ipynb))([^0-9A-Za-z].*)$", name, re.IGNORECASE | re.DOTALL)
    if m:
        base = m.group(1)
        return exercise_of(base) or misnamed(base, fuzzy)
    return misnamed(name, fuzzy)


def deep_note(parts: tuple, ex: str, chosen: str | None) -> str:
    """The note for an exercise's file found below MAX_DEPTH folders, where none is graded."""
    where = shown("/".join(parts))
    down = len(parts) - 1
    if chosen:
        return (f"{where} was not graded: {shown(chosen)} counts for {ex} (a file "
                f"{down} folders down is not looked at, at most {MAX_DEPTH})")
    return (f"found {where}, {down} folders down: exercise files are graded at most "
            f"{MAX_DEPTH} folders below the top of the submission; move it up "
            f"(or hand in the folder that holds it), {ex} was not graded")


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
    """A folder walked without following links, a level at a time (the folders nearest the
    top first). Only the top folder's descriptor stays open (close() closes it): each folder
    is opened again from it, a name at a time with O_NOFOLLOW, when it is listed or a file in
    it read, so no count of folders runs out of descriptors. (A folder given as a path, not a
    descriptor, is walked by path: staging's _open_root_by_path, on a machine without
    descriptor-relative opens, in a student's own check.)"""

    def __init__(self, fd: int):
        self.fds = [fd]
        self.root = fd
        self.seen = 0          # names listed, of at most MAX_NAMES
        self.fuzzy = 0         # names compared with the exercises' (misnamed), MAX_FUZZY
        self.layout = Layout()

    def close(self):
        for fd in self.fds:
            if isinstance(fd, str):   # walked by path: nothing to close
                continue
            try:
                os.close(fd)
            except OSError:
                pass

    def open_dir(self, parts: tuple):
        """The folder at `parts` below the top, opened a name at a time without following a
        link: (its descriptor or path, whether the caller closes it). OSError otherwise."""
        if isinstance(self.root, str):
            path = self.root
            for name in parts:
                path = open_dir_by_path(path, name)
            return path, False
        fd, own = self.root, False
        try:
            for name in parts:
                sub = os.open(name, DIR_FLAGS, dir_fd=fd)
                if own:
                    os.close(fd)
                fd, own = sub, True
        except BaseException:
            if own:
                os.close(fd)
            raise
        return fd, own

    def reader(self, parts: tuple):
        """read(cap) of the regular file at `parts`, opened when it is read."""
        def read(cap):
            try:
                folder, own = self.open_dir(parts[:-1])
            except OSError as exc:
                raise open_error(exc, parts[-1]) from None
            try:
                fd = open_file(parts[-1], dir_fd=folder)
                try:
                    return read_fd(fd, cap)
                finally:
                    os.close(fd)
            finally:
                if own:
                    os.close(folder)
        return read

    def walk(self, fd: int, parts: tuple, out: list, found: Found):
        """Every name of every folder, the folders nearest the top first, MAX_DEPTH levels
        down for the files graded and MAX_LOOK_DEPTH for a note on an exercise file kept too
        deep. Listing a name is cheap, and every one is listed, in any order: a data set, plot
        frames or a virtual environment beside the exercise files never hide them. The one
        bound is MAX_NAMES names in all, far above any real submission, each folder taking at
        most half of what is left (share: a folder of millions never keeps those beside it
        unlisted), with a note where it is reached. What is read is bounded elsewhere (the
        caps on files and bytes)."""
        queue = collections.deque([parts])
        while queue:
            here = queue.popleft()
            if self.seen >= MAX_NAMES:
                found.note(f"stopped looking after {MAX_NAMES} names in the submission's "
                           f"folders: {shown('/'.join(here) or '.')} and what lies beside it "
                           f"were not looked into (keep data sets and environments out of "
                           f"the submission)")
                return
            self._folder(here, out, found, queue)

    def _folder(self, parts: tuple, out: list, found: Found, queue):
        try:
            fd, own = (self.root, False) if not parts else self.open_dir(parts)
        except OSError as exc:
            found.note(left_out(parts, open_error(exc, parts[-1]).args[0]))
            return
        try:
            with os.scandir(fd) as it:
                left = share(MAX_NAMES - self.seen)
                entries = list(itertools.islice(it, left + 1))
        except OSError as exc:
            found.note(left_out(parts or (".",), f"could not be read ({exc.strerror or exc})"))
            return
        finally:
            if own:
                os.close(fd)
        if len(entries) > left:
            found.note(f"looked at {left} names of {shown('/'.join(parts) or '.')}, which "
                       f"holds more: a file past them was not looked at (keep data sets and "
                       f"environments out of the submission)")
            entries = entries[:left]
        self.seen += len(entries)
        entries.sort(key=lambda e: e.name)
        graded = len(parts) <= MAX_DEPTH            # else looked into for a note only
        for e in entries:
            self._entry(e, parts, graded, out, found, queue, isinstance(fd, str))

    def _entry(self, e, parts, graded, out, found, queue, by_path_walk):
        name = e.name
        here = parts + (name,)
        ex = exercise_of(name) if name[:2] == "ex" else None
        problem = "" if len(name) <= MAX_NAME_CHARS and name.isascii() and \
            name.isprintable() else name_problem(name)
        if problem:
            if graded:
                found.note(left_out(here, problem))
                if ex:
                    out.append(Candidate(ex, here, refused=left_out(here, problem)))
            return
        try:
            is_link = e.is_symlink()
            if by_path_walk and not is_link:   # by path: a junction too (Windows)
                is_link = is_link_entry(e)
            is_dir = not is_link and e.is_dir(follow_symlinks=False)
            is_file = not is_link and e.is_file(follow_symlinks=False)
        except OSError:
            is_link = is_dir = is_file = False
        if not graded:
            if is_dir and not skipped_dir(name) and len(here) <= MAX_LOOK_DEPTH:
                queue.append(here)
            elif is_file and ex and len(found.deep) < MAX_SIGHTED:
                found.deep.append((here, ex))
            return
        if is_link:
            why = left_out(here, LINK)
            found.note(why)
            if ex:
                out.append(Candidate(ex, here, refused=why))
            return
        if len(here) <= 2:
            self.layout.saw(here, is_dir, is_file)
        if is_dir:
            if ex:
                why = left_out(here, "a folder, not a file")
                found.note(why)
                out.append(Candidate(ex, here, refused=why))
            if not skipped_dir(name):
                queue.append(here)
            return
        if ex is None:
            if is_file:
                self._other_file(here, found)
            return
        if not is_file:
            try:
                what = kind_of(e.stat(follow_symlinks=False).st_mode)
            except OSError:
                what = "not a regular file"
            why = left_out(here, f"{what}, not a regular file")
            found.note(why)
            out.append(Candidate(ex, here, refused=why))
            return
        out.append(Candidate(ex, here, read=self.reader(here)))

    def _other_file(self, here: tuple, found: Found):
        """A file that is no exercise's by its name: one that looks meant for an exercise (a
        note, staging), a module or a data file of the student's own."""
        name = here[-1]
        low = name.lower()
        meant = None
        if ".py" in low or ".ipynb" in low:     # ex1_linear.py, ex03_autograd_basics.py.txt
            meant = meant_for(name, fuzzy=self.fuzzy < MAX_FUZZY)
            self.fuzzy += low.endswith((".py", ".ipynb"))
        if meant and len(found.misnamed) < MAX_SIGHTED:
            found.misnamed.append((here, meant))
        if meant and low.endswith((".py", ".ipynb")):
            return                               # never a module of hers
        if helper_module(name):
            found.saw_module(here, self.reader(here))
        elif data_file(name):
            found.saw_data(here, self.reader(here))


def share(left: int) -> int:
    """The names one folder may list, of `left` still to list: half (one folder of millions
    never keeps the folders beside it unlisted), and never fewer than MIN_SHARE while that
    many are left (a folder of a real submission is listed whole)."""
    return max(left - left // 2, min(left, MIN_SHARE))


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


def is_link_entry(entry) -> bool:
    """A folder's entry that is a link or a junction, by its own stat (Windows' reparse
    point), for a folder walked by path."""
    from grader.sandbox.portable import is_link
    return is_link(entry.stat(follow_symlinks=False))
